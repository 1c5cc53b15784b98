// Command registry serves go-containerregistry's in-memory container registry on a
// loopback address, holding small Windows images, so that the README's
// `winami images check` examples run with no internet access and no Docker:
//
//	go run ./docs/registry --listen 127.0.0.1:5000
//
// The images are made of random layers (a few MiB each) with real Windows platform
// data (os windows, arch amd64, os.version of Windows Server 2019, 2022 or 2025); they
// are imagestest.SeedDemo's:
//
//	dotnet/framework/aspnet:4.8                        index: ltsc2019 and ltsc2022 entries, with os.version
//	dotnet/framework/aspnet:4.8-windowsservercore-ltsc2019, -ltsc2022, -ltsc2025
//	myapp:1.4.2                                        ltsc2022, on the aspnet ltsc2022 layers (shared base)
//	legacy-app:2.0-ltsc2019, legacy-app:2.0-ltsc2022   one build each
//	web:3.0-ltsc2019                                   ltsc2019 image
//	web:3.0-ltsc2022                                   index whose entry has no os.version (unlabelled sibling)
//	tools:1.0                                          index without os.version: ltsc2019 first, then ltsc2022
//	multi:1.0                                          ltsc2022 then ltsc2025 entries, with os.version
//	servercore-legacy:ltsc2019                         ltsc2019 on a foreign (non-distributable) base layer
//
// The foreign layer's URL is under foreign-layers.invalid (a name that never resolves):
// winami never fetches foreign layers. It runs until interrupted.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/winami/winami/images/imagestest"
)

const mib = 1 << 20

func main() {
	listen := flag.String("listen", "127.0.0.1:5000", "loopback address to listen on")
	flag.Parse()
	if err := run(*listen); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(listen string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("parsing --listen: %w", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--listen %s: want a loopback address such as 127.0.0.1:5000", listen)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	srv := &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	go func() { _ = srv.Serve(ln) }()
	addr := ln.Addr().String()
	if err := imagestest.SeedDemo(addr, mib, "https://foreign-layers.invalid/layers"); err != nil {
		_ = srv.Close()
		return fmt.Errorf("seeding the registry: %w", err)
	}
	fmt.Printf("registry: serving Windows test images at %s (Ctrl-C to stop)\n", addr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	<-ctx.Done()
	return srv.Shutdown(context.Background())
}
