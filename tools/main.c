/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * migstream: verify, dump, summarise, copy and extract memory from Xen save
 * and migration streams.  This file holds main(): the command table, the
 * overall usage and --version.  The subcommands are one file each; what
 * they share is in common.c (inputs, reading sessions, findings, fields),
 * output.c (safe outputs) and decompress.c (compressed input).
 */
#define _POSIX_C_SOURCE 200809L

#include <string.h>

#include "common.h"
#include "commands.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "verify", cmd_verify },
	{ "dump", cmd_dump },
	{ "stats", cmd_stats },
	{ "copy", cmd_copy },
	{ "extract-memory", cmd_extract },
	{ "tee", cmd_tee },
	{ "rules", cmd_rules },
	{ "explain", cmd_explain },
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: migstream COMMAND [OPTIONS] ...\n"
	        "\n"
	        "Commands:\n"
	        "  verify [-f auto|libxc|libxl|xl] [-v] [-q] [--strict|--restore|--lax]\n"
	        "         [--channel] [--progress] [-i] FILE|-\n"
	        "                 check a stream; exit 0 valid, 1 invalid, 2 usage/internal\n"
	        "  dump [--json] [--pages] FILE|-\n"
	        "                 every header and record with decoded fields\n"
	        "  stats [--json] FILE|-\n"
	        "                 totals per layer and record type, pages, vCPUs, throughput\n"
	        "  copy [--big-endian|--little-endian] IN OUT\n"
	        "                 re-encode a stream through the reader and the writer\n"
	        "  extract-memory [--format raw|elf] FILE OUT\n"
	        "                 the guest's final memory image from PAGE_DATA\n"
	        "  tee [--channel] [--remus|--colo] IN OUT\n"
	        "                 forward a stream unchanged while verifying it; stop\n"
	        "                 before the first record that breaks a rule\n"
	        "  rules [--json] [--layer L] [--severity S]\n"
	        "                 the rules findings refer to (see migstream-rules(7))\n"
	        "  explain ID     one rule in full: what it checks, why, what to do instead\n"
	        "\n"
	        "  migstream COMMAND --help    options of one command\n"
	        "  migstream --version         version of the tool and the library\n");
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return fflush(stdout) == 0 ? 0 : EXIT_USAGE;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("migstream (libmigstream) %s\n", MIGSTREAM_VERSION_STRING);
		printf("library %s\n", migstream_version_string());
		printf("compressed input: %s\n", decomp_available());
		return fflush(stdout) == 0 ? 0 : EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n", progname, cmd);
	usage(stderr);
	return EXIT_USAGE;
}
