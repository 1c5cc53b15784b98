// Package readmetest runs the console blocks of a Markdown file (the README) as a reader
// would type them and compares what the commands print with the outputs the file shows.
//
// A console block (```console) holds commands, lines starting with "$ " (continued
// on the next lines while bash says the command is incomplete), each followed by its
// captured output (stdout and stderr as a terminal shows them). HTML comments right before
// a block direct the test (invisible on GitHub):
//
//	<!-- test: scene NAME [TAG...] [after=SCENE] -->  run the block in scene NAME
//	<!-- test: skip REASON -->                      a block that cannot run here
//	<!-- test: setup
//	hidden commands run before the block
//	-->
//	<!-- test: file NAME -->                        write the (non-console) block to NAME
//	                                                (when the scene reaches it; outside any
//	                                                scene: in every scene's directory first;
//	                                                on a console block whose first command
//	                                                shows a file, cat FILE: its output)
//	<!-- test: interrupt N AFTER -->                Ctrl-C the block's Nth command after AFTER
//	<!-- test: timeout DUR -->                      per-command time limit for the block
//
// The blocks of one scene run in one bash session, in README order, in a scratch
// directory that links the repository's tracked top-level files. Outputs are compared
// after normalising what differs between runs (ids, digests, dates, durations: see
// Match); a line that is only "…" stands for any number of lines and a "…" inside a
// line for any text. Run with Update, the outputs that differ are rewritten with what
// the commands printed.
package readmetest
