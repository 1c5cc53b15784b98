// Package parallel runs a bounded number of functions at once: the fan-out that audit
// (regions, instances) and prune (regions, AMIs, usage sources) share.
package parallel
