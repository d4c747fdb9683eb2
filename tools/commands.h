/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * commands.h: the subcommands of the migstream command, one entry point
 * each, called by main.c with argv[0] the subcommand's name.  Each returns
 * the exit status (EXIT_VALID, EXIT_INVALID, EXIT_USAGE).
 */
#ifndef MIGSTREAM_TOOL_COMMANDS_H
#define MIGSTREAM_TOOL_COMMANDS_H

int cmd_verify(int argc, char **argv);    /* verify.c */
int cmd_dump(int argc, char **argv);      /* dump.c */
int cmd_stats(int argc, char **argv);     /* dump.c */
int cmd_copy(int argc, char **argv);      /* copy.c */
int cmd_extract(int argc, char **argv);   /* extract.c */
int cmd_tee(int argc, char **argv);       /* tee.c */
int cmd_rules(int argc, char **argv);     /* rules.c */
int cmd_explain(int argc, char **argv);   /* rules.c */

#endif /* MIGSTREAM_TOOL_COMMANDS_H */
