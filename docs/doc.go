// Package docs holds the test that keeps README.md true (readme_test.go: every console
// block that needs no Kubernetes API server is run against `winami sandbox` and compared
// with the README) and, in docs/registry, the local container registry the README's
// `winami images` examples use.
//
//	go test ./docs -run README            # compare
//	go test ./docs -run README -update    # rewrite the README's captured outputs
package docs
