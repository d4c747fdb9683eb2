/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * fuzz_tools: the migstream command's own code (every file of tools/, built with its
 * main() renamed migstream_main()) on a fuzzed stream.  The input is
 * written to a file, which the command maps, so the library reads it as a
 * memory source; then the command runs as
 *   verify -v, dump, dump --json --pages, stats, stats --json,
 *   extract-memory --format raw, extract-memory --format elf
 * with standard output sent to /dev/null and the memory image written to a
 * file of a private temporary directory.  Every run must return an exit
 * status of 0, 1 or 2; the sanitizers and libFuzzer's memory limit catch
 * the rest.
 */
#define _POSIX_C_SOURCE 200809L

#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_tools.h"

static char dir[4096], in_path[4200], out_path[4200];
static int null_fd = -1, saved_stdout = -1;

static void cleanup(void)
{
	unlink(in_path);
	unlink(out_path);
	rmdir(dir);
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(dir, sizeof dir, "%s/fuzz_tools.XXXXXX", tmp);
	if (!mkdtemp(dir))
		fz_fail("mkdtemp %s: %s", dir, strerror(errno));
	snprintf(in_path, sizeof in_path, "%s/in", dir);
	snprintf(out_path, sizeof out_path, "%s/out", dir);
	atexit(cleanup);
	/* The command's output is not checked here, only that it survives:
	 * standard output is /dev/null while it runs. */
	null_fd = open("/dev/null", O_WRONLY);
	saved_stdout = dup(1);
	if (null_fd < 0 || saved_stdout < 0)
		fz_fail("/dev/null: %s", strerror(errno));
}

static void write_input(const uint8_t *data, size_t size)
{
	int fd = open(in_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		fz_fail("%s: %s", in_path, strerror(errno));
	while (size) {
		ssize_t n = write(fd, data, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fz_fail("%s: %s", in_path, strerror(errno));
		data += n;
		size -= (size_t)n;
	}
	if (close(fd) != 0)
		fz_fail("%s: %s", in_path, strerror(errno));
}

/* Run the command with the words of cmd (separated by spaces), then IN,
 * then OUT for extract-memory. */
static void run(const char *cmd)
{
	char words[128], *argv[12];
	int argc = 0, status;

	snprintf(words, sizeof words, "migstream %s", cmd);
	for (char *w = strtok(words, " "); w && argc < 9; w = strtok(NULL, " "))
		argv[argc++] = w;
	argv[argc++] = in_path;
	if (strncmp(cmd, "extract-memory", 14) == 0)
		argv[argc++] = out_path;
	argv[argc] = NULL;
	status = migstream_main(argc, argv);
	if (status < 0 || status > 2)
		fz_fail("migstream %s: exit status %d", cmd, status);
	fflush(stdout);
	clearerr(stdout);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const cmds[] = {
		"verify -v", "dump", "dump --json --pages", "stats", "stats --json",
		"extract-memory --format raw", "extract-memory --format elf",
	};
	static int ready;

	if (!ready) {
		setup();
		ready = 1;
	}
	write_input(data, size);
	fflush(stdout);
	if (dup2(null_fd, 1) < 0)
		fz_fail("dup2: %s", strerror(errno));
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		run(cmds[i]);
	fflush(stdout);
	if (dup2(saved_stdout, 1) < 0)
		fz_fail("dup2: %s", strerror(errno));
	return 0;
}
