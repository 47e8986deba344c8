package store

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
)

func TestUnseenDoesNotRecord(t *testing.T) {
	srv := redistest.Start(t)
	st := New(srv.Client(), Options{SeenPerEdition: 3})
	ctx := context.Background()
	if _, err := st.MarkSeen(ctx, news.English, []int64{10, 20}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Unseen(ctx, news.English, []int64{30, 20, 30, 10, 40})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{30, 40}, got); diff != "" {
		t.Errorf("Unseen (-want +got):\n%s", diff)
	}
	again, _ := st.Unseen(ctx, news.English, []int64{30, 40})
	if diff := cmp.Diff([]int64{30, 40}, again); diff != "" {
		t.Errorf("Unseen recorded something (-want +got):\n%s", diff)
	}
	// Other editions are separate.
	if uk, _ := st.Unseen(ctx, news.Ukrainian, []int64{10}); len(uk) != 1 {
		t.Errorf("uk Unseen(10) = %v, want [10]", uk)
	}
	// After trimming, IDs below the floor count as seen, as in MarkSeen.
	if _, err := st.MarkSeen(ctx, news.English, []int64{30, 40, 50}); err != nil {
		t.Fatal(err)
	}
	got, _ = st.Unseen(ctx, news.English, []int64{5, 25, 60})
	if diff := cmp.Diff([]int64{60}, got); diff != "" {
		t.Errorf("Unseen after trim (-want +got):\n%s", diff)
	}
	if _, err := st.Unseen(ctx, news.English, []int64{0}); err == nil {
		t.Error("Unseen accepted ID 0")
	}
}
