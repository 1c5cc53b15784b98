package cli

import "time"

// The defaults of --poll-interval: an Image Builder build (tens of minutes) is checked
// every 30 s; Fast Launch, prune and rollout waits start at 15 s.
const (
	buildPollInterval = 30 * time.Second
	waitPollInterval  = 15 * time.Second
)

// checkPollInterval is the one rule of --poll-interval, on every command that waits
// (build, rollout, prune, fast-launch enable|disable --wait): a positive duration (0 or
// less would poll without pause). example is the command's default, shown in the message.
func checkPollInterval(d, example time.Duration) error {
	if d <= 0 {
		return Usagef("flag --poll-interval %s: use a positive duration such as %s", d, shortDuration(example))
	}
	return nil
}

// shortDuration prints 30s rather than time.Duration's 30s, 15m rather than 15m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	for _, zero := range []string{"m0s", "h0m"} {
		if len(s) > len(zero) && s[len(s)-len(zero):] == zero {
			s = s[:len(s)-len(zero)+1]
		}
	}
	return s
}
