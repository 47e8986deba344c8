package embedded

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
)

// conn talks to miniredis through its command dispatcher, the way a
// network client would, without the network.
type conn struct {
	srv  *server.Server
	buf  bytes.Buffer
	w    *bufio.Writer
	peer *server.Peer
}

func newConn(mr *miniredis.Miniredis) *conn {
	c := &conn{srv: mr.Server()}
	c.w = bufio.NewWriterSize(&c.buf, 64<<10)
	c.peer = server.NewPeer(c.w)
	return c
}

// run runs one command and drops its reply.
func (c *conn) run(args []string) {
	c.buf.Reset()
	c.srv.Dispatch(c.peer, args)
	c.peer.Flush()
	c.buf.Reset()
}

// respError is an error reply.
type respError string

// do runs one command and returns its reply: string, int, nil, []any or
// respError. An error reply to the command itself is returned as an error.
func (c *conn) do(args ...string) (any, error) {
	c.buf.Reset()
	c.srv.Dispatch(c.peer, args)
	c.peer.Flush()
	r, err := readReply(bufio.NewReader(&c.buf))
	if err != nil {
		return nil, fmt.Errorf("embedded: %s: %w", args[0], err)
	}
	if e, ok := r.(respError); ok {
		return nil, fmt.Errorf("embedded: %s: %s", args[0], string(e))
	}
	return r, nil
}

// exec runs cmds in one MULTI/EXEC and returns their replies in order.
func (c *conn) exec(cmds [][]string) ([]any, error) {
	if _, err := c.do("MULTI"); err != nil {
		return nil, err
	}
	for _, cmd := range cmds {
		c.srv.Dispatch(c.peer, cmd)
	}
	c.peer.Flush()
	c.buf.Reset() // drop the +QUEUED replies
	r, err := c.do("EXEC")
	if err != nil {
		return nil, err
	}
	res, ok := r.([]any)
	if !ok || len(res) != len(cmds) {
		return nil, fmt.Errorf("embedded: EXEC returned %T for %d commands", r, len(cmds))
	}
	return res, nil
}

var errProtocol = errors.New("malformed reply")

// readReply reads one RESP2 reply.
func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, errProtocol
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return respError(body), nil
	case ':':
		n, err := strconv.Atoi(body)
		if err != nil {
			return nil, errProtocol
		}
		return n, nil
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil {
			return nil, errProtocol
		}
		if n < 0 {
			return nil, nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		return string(b[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil {
			return nil, errProtocol
		}
		if n < 0 {
			return nil, nil
		}
		items := make([]any, n)
		for i := range items {
			if items[i], err = readReply(r); err != nil {
				return nil, err
			}
		}
		return items, nil
	}
	return nil, errProtocol
}
