// Command etcd is etcd v3.7.0's server, built from its Go module for the e2e tests on
// machines with no etcd package.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
