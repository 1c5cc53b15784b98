// Package cli holds winami's commands. Each command parses its flags into an options
// struct, calls one library function and prints the result: data on stdout (a table,
// JSON or YAML, chosen with -o), progress, warnings and errors on stderr. Errors map to
// exit codes in one place (Run): 0 success, 1 the operation failed or found a problem,
// 2 bad input.
package cli
