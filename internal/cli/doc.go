// Package cli holds winami's commands. Each command parses its flags into an options
// struct, calls one library function and prints the result: data on stdout (a table,
// JSON or YAML, chosen with -o), progress, warnings and errors on stderr. Every table is
// a Table, fitted to the width of its stream by one rule (Table.Write: COLUMNS, the
// terminal, else DefaultWidth), in full with -o wide. Errors map to
// exit codes in one place (Execute): 0 success, 1 the operation failed or found a
// problem, 2 bad input.
//
// Commands are built as in cli/cli: NewRoot adds each one explicitly, built from a
// Factory that holds the global flags and everything a command reaches outside itself
// (IOStreams with terminal detection, a Prompter, the clock, AWS(ctx, region) with the
// one region rule of AWSRegion, Kube(kubeconfig, context)). A constructor takes a runF
// that tests of its flags run instead of the command. Tests build their own Factory, so
// no package variable is swapped and they run in parallel.
package cli
