// Command winami manages Amazon EKS-optimized Windows AMIs. See the README and
// `winami --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/winami/winami/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first Ctrl-C cancels the context (a build then asks whether to cancel it); a
	// second one gets the default behaviour and ends the process.
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
