package rollout

import "testing"

// A StatusReason AWS (or anyone who can write one) sends reaches the terminal as one line
// of text: no newline to forge a progress line, no escape sequence for the terminal.
func TestOneLineDropsControlCharacters(t *testing.T) {
	got := oneLine("Checkpoint 25%\x1b[2J reached:\n\tauto-scaling-group x: moved\r\x07")
	want := "Checkpoint 25%[2J reached: auto-scaling-group x: moved"
	if got != want {
		t.Errorf("oneLine = %q, want %q", got, want)
	}
}

// The canary's checkpoint is the largest whole percentage its instances reach, so the
// refresh pauses after exactly them (Auto Scaling replaces ceil(N×p/100) before it).
func TestCheckpointPercent(t *testing.T) {
	for _, c := range []struct {
		canary      Canary
		n, total, p int
	}{
		{Canary{Count: 1}, 1, 4, 25},
		{Canary{Count: 1}, 1, 3, 33},
		{Canary{Count: 2}, 2, 3, 66},
		{Canary{Count: 1}, 1, 300, 1},
		{Canary{Percent: 10}, 1, 4, 10},
	} {
		if got := checkpointPercent(c.canary, c.n, c.total); got != c.p {
			t.Errorf("checkpointPercent(%+v, %d, %d) = %d, want %d", c.canary, c.n, c.total, got, c.p)
		}
		if c.canary.Count > 0 && c.total <= 100 {
			if replaced := (c.total*c.p + 99) / 100; replaced != c.n {
				t.Errorf("%d of %d at %d%%: Auto Scaling replaces %d, not the canary's %d", c.n, c.total, c.p, replaced, c.n)
			}
		}
	}
}
