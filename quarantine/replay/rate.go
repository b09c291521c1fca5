package replay

import (
	"context"
	"time"
)

// Limiter spaces replays so that at most N start per minute (Exchange's
// PickupDirectoryMaxMessagesPerMinute defaults to 100). The first Wait
// returns at once.
type Limiter struct {
	interval time.Duration
	next     time.Time
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
}

// NewLimiter returns a limiter for perMinute replays a minute; perMinute
// <= 0 means no limit.
func NewLimiter(perMinute int) *Limiter {
	l := &Limiter{now: time.Now, sleep: sleepCtx}
	if perMinute > 0 {
		l.interval = time.Minute / time.Duration(perMinute)
	}
	return l
}

// Wait blocks until the next replay may start, or ctx ends.
func (l *Limiter) Wait(ctx context.Context) error {
	now := l.now()
	if l.next.After(now) {
		if err := l.sleep(ctx, l.next.Sub(now)); err != nil {
			return err
		}
		now = l.next
	}
	l.next = now.Add(l.interval)
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
