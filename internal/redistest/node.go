package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrUnsupported marks a machine whose redis-server cannot run the
// topology asked for (missing, or older than 7.0).
var ErrUnsupported = errors.New("redistest: unsupported")

// minMajor is the oldest redis-server major version the cluster and
// Sentinel helpers accept (CLUSTER ADDSLOTSRANGE and cluster-port are 7.0).
const minMajor = 7

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// serverBinary returns redis-server's path, or an error wrapping
// ErrUnsupported that says why it cannot be used.
func serverBinary() (string, error) {
	binOnce.Do(func() {
		p, err := exec.LookPath("redis-server")
		if err != nil {
			binErr = fmt.Errorf("%w: redis-server not found in PATH (Debian: apt-get install -y redis-server redis-sentinel)", ErrUnsupported)
			return
		}
		out, err := exec.Command(p, "--version").Output()
		if err != nil {
			binErr = fmt.Errorf("%w: redis-server --version: %v", ErrUnsupported, err)
			return
		}
		m := regexp.MustCompile(`v=(\d+)\.(\d+)`).FindSubmatch(out)
		if m == nil {
			binErr = fmt.Errorf("%w: cannot read the version of redis-server from %q", ErrUnsupported, out)
			return
		}
		if major, _ := strconv.Atoi(string(m[1])); major < minMajor {
			binErr = fmt.Errorf("%w: redis-server %s.%s is older than %d.0", ErrUnsupported, m[1], m[2], minMajor)
			return
		}
		binPath = p
	})
	return binPath, binErr
}

// node is one redis-server process (a cluster node, a replica or a
// sentinel) listening on a loopback TCP port.
type node struct {
	dir  string
	port int
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// addr is the node's host:port.
func (n *node) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port)) }

// freePorts returns k distinct loopback ports free at the time of asking.
// Another process may take one before redis-server binds it: startNode
// retries then.
func freePorts(k int) ([]int, error) {
	ports := make([]int, 0, k)
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for len(ports) < k {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("redistest: no free port: %w", err)
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// startAttempts bounds the retries when a chosen port is taken meanwhile.
const startAttempts = 5

// startNode starts redis-server in dir on fresh ports. args gives the
// arguments for the ports chosen (port, and a second one for the cluster
// bus); a server that exits at start (port taken) is retried on others.
func startNode(dir string, args func(port, bus int) []string) (*node, error) {
	bin, err := serverBinary()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for range startAttempts {
		ports, err := freePorts(2)
		if err != nil {
			return nil, err
		}
		n := &node{dir: dir, port: ports[0]}
		if lastErr = n.run(bin, args(ports[0], ports[1])); lastErr == nil {
			return n, nil
		}
	}
	return nil, lastErr
}

// run starts the process and waits until it answers PING.
func (n *node) run(bin string, args []string) error {
	os.Remove(filepath.Join(n.dir, "nodes.conf"))
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redistest: start redis-server: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	n.mu.Lock()
	n.cmd, n.done = cmd, done
	n.mu.Unlock()
	c := redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1})
	defer c.Close()
	err := waitFor(10*time.Second, func() (bool, error) {
		select {
		case <-done:
			return false, fmt.Errorf("redistest: redis-server exited at start: %s", logTailOf(filepath.Join(n.dir, "redis.log")))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return c.Ping(ctx).Err() == nil, nil
	})
	if err != nil {
		n.kill()
	}
	return err
}

// kill sends SIGKILL and waits for the process to exit.
func (n *node) kill() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.cmd = nil
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-done
}

// alive reports whether the process still runs.
func (n *node) alive() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmd != nil
}

// client returns a new plain client of the node; the caller closes it.
func (n *node) client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
}

// commonArgs are the arguments every test server gets: loopback only, no
// persistence, logs in dir.
func commonArgs(dir string, port int) []string {
	return []string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--dir", dir,
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--logfile", filepath.Join(dir, "redis.log"),
	}
}

// pollEvery is how often waitFor asks again.
const pollEvery = 20 * time.Millisecond

// waitFor calls cond until it reports true, returns an error, or timeout
// passes (an error naming the last condition error, if any).
func waitFor(timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if err != nil && !errors.Is(err, errNotYet) {
			return err
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("redistest: not ready after %s: %w", timeout, err)
			}
			return fmt.Errorf("redistest: not ready after %s", timeout)
		}
		time.Sleep(pollEvery)
	}
}

// errNotYet wraps a condition's reason to go on waiting.
var errNotYet = errors.New("not yet")
