/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * common.h: the pieces the migstream command's subcommands share: inputs and
 * reading sessions, reader options, progress, finding lines, JSON output,
 * decoded fields, pfn sets (common.c); compressed input (decompress.c);
 * safe outputs (output.c).  None of these files calls into a subcommand
 * (commands.h).  The command uses the public API only.
 */
#ifndef MIGSTREAM_TOOL_COMMON_H
#define MIGSTREAM_TOOL_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include <sys/types.h>

#include <migstream.h>

/* Exit statuses (shared with Xen's verify-stream-v2). */
#define EXIT_VALID    0
#define EXIT_INVALID  1
#define EXIT_USAGE    2

/* At most this many finding lines per run, then "... N more". */
#define DIAG_LIMIT 100

/* The command's name, the first word of its messages: a constant here, so
 * that no file depends on another for it. */
static const char progname[] = "migstream";

/* ------------------------------------------------------------------ input */

/* An input: a regular file (mapped), or any other fd (pipe, socket). */
struct input {
	const char *name;     /* for messages ("-" is "standard input") */
	int fd;
	int own_fd;
	void *map;            /* non-NULL: mapped regular file */
	size_t size;          /* size of a regular file */
	int regular;
	struct decomp *dec;   /* non-NULL: read through decompress.c */
	int prefer_fd;        /* attach a mapped file's fd, not the mapping */
};

int input_open(struct input *in, const char *path);
/* Open r on the input: open_memory for mapped files (unless prefer_fd),
 * open_fd otherwise. */
int input_attach(struct input *in, migstream_reader *r);
/* Octets following the stream in channel mode (after MIGSTREAM_EOF). */
uint64_t input_trailing(struct input *in, migstream_reader *r);
void input_close(struct input *in);

/* -------------------------------------------- compressed input (decompress.c) */

/* "xz", "zstd", "gzip" or "bzip2" when p starts with that magic, else NULL. */
const char *compression_name(const void *p, size_t n);
/* Which decompressors this build has, for --version and tests. */
const char *decomp_available(void);
/* A source serving first the head octets, then the rest of fd or map,
 * decompressed when packer names a decompressor this build has (else as
 * is: the reader then reports compressed input).  NULL when out of memory. */
struct decomp *decomp_new(const char *name, int fd, const void *map, size_t map_len,
                          const void *head, size_t head_len, const char *packer);
int decomp_attach(struct decomp *d, migstream_reader *r);
/* Octets after those the reader took (channel trailers). */
int64_t decomp_read_more(struct decomp *d, void *buf, size_t len);
/* 1 and the compressed octets consumed so far when reading compressed input. */
int decomp_progress(uint64_t *compressed);
void decomp_free(struct decomp *d);

/* ------------------------------------------------------- reader options */

struct read_opts {
	uint32_t format;      /* MIGSTREAM_FORMAT_* */
	int mode;             /* MIGSTREAM_MODE_* */
	int channel;
	int kind;             /* MIGSTREAM_KIND_* */
	int deep;
	int progress;         /* -1 auto, 0 off, 1 on */
};

void read_opts_init(struct read_opts *o, int mode);
/* Parse one common reader option at argv[*i]; 1 if consumed, 0 if not
 * ours, -1 on a usage error (message printed). */
int read_opts_parse(struct read_opts *o, int argc, char **argv, int *i);
int read_opts_apply(const struct read_opts *o, migstream_reader *r);

/* --------------------------------------------------------------- progress */

struct progress {
	int on;
	int shown;
	uint64_t total;       /* 0: unknown */
	double start, last;
};

double now_seconds(void);
void progress_init(struct progress *p, int want, uint64_t total);
void progress_update(struct progress *p, uint64_t offset, uint64_t records);
void progress_done(struct progress *p, uint64_t offset, uint64_t records);

/* -------------------------------------------------------------- findings */

struct diag_printer {
	FILE *out;
	int quiet;
	int info;             /* print informational findings too */
	int json;
	int use_syslog;       /* lines go to syslog instead of out */
	int explain;          /* end each text finding with "(migstream explain ID)" */
	uint64_t errors, warnings, infos;
	uint64_t printed, suppressed;
	int32_t last_code;    /* the last error finding, to avoid repeating it */
	uint64_t last_offset;
};

void diag_print(void *ctx, const migstream_diag *d);
void diag_finish(struct diag_printer *dp);
/* Print the reader's last error unless a finding reported it already;
 * returns the exit status for rc (MIGSTREAM_EOF or a negative code). */
int report_end(struct diag_printer *dp, migstream_reader *r, int rc, const char *name);

/* ----------------------------------------------------------------- rounds */

/* The rounds of a checkpointed stream as the reader reports them
 * (migstream_reader_get_checkpoint), for stats and verify -v: the data
 * pages of each committed round (8 octets a round), the failover offset,
 * what was discarded. */
struct rounds {
	migstream_checkpoint_info ci;
	uint64_t *pages;      /* data pages (back channel: dirty pfns) of round i + 1 */
	size_t n, cap;
	int oom;
};

void rounds_init(struct rounds *rs);
/* After every migstream_reader_next(), whatever it returned. */
void rounds_note(struct rounds *rs, migstream_reader *r);
/* Pages dirtied per round: min, median and max over the committed rounds
 * after the first (its full pass is no dirty set) or, on a back channel,
 * over every cycle.  0 when there is no such round. */
int rounds_dirty(const struct rounds *rs, uint64_t *min, uint64_t *median, uint64_t *max,
                 uint64_t *count);
/* Lines "complete checkpoints: ...", "failover offset: ...", "discarded:
 * ...", "pages dirtied per round: ..." (prefix each, width w for labels);
 * nothing for a stream without checkpoints. */
void rounds_text(FILE *f, const struct rounds *rs, const char *prefix);
/* ,"complete_checkpoints":N,... (nothing without checkpoints). */
void rounds_json(FILE *f, const struct rounds *rs);
void rounds_free(struct rounds *rs);

/* --------------------------------------------------------------- sessions */

/* One read of one input, the way every subcommand reads: the input (a
 * mapped regular file or any other fd, decompressed when compressed), a
 * reader with the common options, its findings printed through dp, the
 * progress line. */
struct session {
	struct input in;
	migstream_reader *r;
	struct diag_printer dp;   /* out, quiet, info, json ... set before session_open */
	struct progress pr;
	uint64_t records;         /* records delivered so far */
	int rc;                   /* the reader's last status */
	int stop_at_error;        /* session_next stops at any error, not only fatal ones */
	struct rounds rounds;     /* the rounds, as the reader reported them */
	int read_fd;              /* a regular file is read through its fd, not mapped:
	                           * verify and stats, which look at few page
	                           * contents, then read little and stay small */
};

/* Nothing open; findings go to standard error. */
void session_init(struct session *s);
/* Open path ("-": standard input), set up a reader with o, attach it and
 * read the headers (their status in s->rc); the progress line as o asks,
 * off when dp.quiet.  0, or EXIT_USAGE with the message printed and
 * nothing left open. */
int session_open(struct session *s, const char *path, const struct read_opts *o);
/* The next record: 1 with *rec, 0 once reading stops (s->rc is then
 * MIGSTREAM_EOF or the error that stopped it).  Records that break a rule
 * without breaking the framing are read past unless stop_at_error. */
int session_next(struct session *s, const migstream_record **rec);
/* Reading is over: the last progress line, the reader's error unless a
 * finding reported it already, "... N more"; the exit status. */
int session_finish(struct session *s);
void session_close(struct session *s);

/* ------------------------------------------------------------ JSON output */

void json_str(FILE *f, const char *s);
void json_strn(FILE *f, const void *s, size_t n);

/* Decoded fields of a record or header: rendered as text or as JSON. */
enum { F_UINT, F_HEX, F_STR, F_BOOL, F_RAWJSON };
struct field {
	const char *key;
	int kind;
	uint64_t u;
	const char *s;
};
struct fields {
	struct field f[32];
	int n;
	char strbuf[1024];    /* backing store for formatted strings */
	size_t used;
};

void fields_init(struct fields *fs);
void f_uint(struct fields *fs, const char *key, uint64_t v);
void f_hex(struct fields *fs, const char *key, uint64_t v);
void f_str(struct fields *fs, const char *key, const char *s);
void f_bool(struct fields *fs, const char *key, int v);
void fields_text(FILE *f, const struct fields *fs);
void fields_json(FILE *f, const struct fields *fs);

/* The decoded fields of a record (everything but arrays). */
void record_fields(const migstream_record *rec, struct fields *fs);
const char *layer_name(uint32_t layer);
const char *domain_type_name(uint32_t type);

/* Headers, emitted once each as the reader reaches them. */
struct hdr_state {
	int xl_done, libxl_done, libxc_done;
};
typedef void (*hdr_emit_fn)(void *ctx, const char *kind, uint64_t offset,
                            const struct fields *fs);
void headers_init(struct hdr_state *hs);
/* Tell it about each record (a LIBXC_CONTEXT announces an image). */
void headers_record(struct hdr_state *hs, const migstream_record *rec);
void headers_emit(migstream_reader *r, struct hdr_state *hs, hdr_emit_fn fn, void *ctx);

/* -------------------------------------------------------------- pfn sets */

struct pfnset {
	uint64_t *keys;       /* pfn >> 15, UINT64_MAX = empty slot */
	uint8_t **bits;       /* 4096 octets each */
	size_t cap, used;
	uint64_t count;
	uint64_t bytes;       /* memory in use */
	uint64_t budget;      /* 0: none; else the set stops growing past it */
	int over;             /* a pfn was refused: the set is incomplete */
};

/* An empty set without a budget (the sets of extract-memory hold what
 * they must); pfnset_budget() bounds it, whatever the pfns. */
void pfnset_init(struct pfnset *s);
void pfnset_budget(struct pfnset *s, uint64_t bytes);
/* Set pfn; returns its previous state (0/1), -1 when out of memory, or -2
 * when the budget is spent (the set is then marked over). */
int pfnset_add(struct pfnset *s, uint64_t pfn);
int pfnset_has(const struct pfnset *s, uint64_t pfn);
/* Call fn for every maximal run [first, first+n) in ascending order. */
int pfnset_runs(const struct pfnset *s, int (*fn)(void *, uint64_t, uint64_t), void *ctx);
void pfnset_free(struct pfnset *s);

uint64_t fnv1a64(const void *p, size_t n);

/* ----------------------------------------------------------------- outputs */

/* The one way a command writes a path (tools/output.c).  A regular file,
 * existing or not, is written to a new temporary file beside it, renamed
 * over it by output_commit(); output_abort() removes only that temporary
 * file.  Anything else (a device, FIFO, socket, "-" for standard output)
 * is written in place: never created, truncated nor removed. */
struct output {
	const char *path;     /* as given, for messages */
	int fd;
	int regular;          /* written through tmp, renamed over final */
	int stdout_;
	int sync;             /* fsync the file and its directory (not --no-sync) */
	char *tmp, *final;
};

/* Check IN (missing, or the same file as OUT: refused) and open OUT;
 * 0, or EXIT_USAGE with the message printed. */
int output_open(struct output *o, const char *path, const char *in_path, int sync);
/* The command succeeded: put the output in place; 0 or EXIT_INVALID
 * (message printed, the old file left as it was). */
int output_commit(struct output *o);
void output_abort(struct output *o);

/* A new file from template (last six characters replaced), O_EXCL,
 * registered for removal on SIGINT, SIGTERM and SIGHUP; fd or -1/errno. */
int tmpfile_create(char *name, mode_t mode);
/* Forget name, removing it first if unlink_it. */
void tmpfile_release(const char *name, int unlink_it);

#endif /* MIGSTREAM_TOOL_COMMON_H */
