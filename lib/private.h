/*
 * private.h: internal structures of the reader (and the record views it
 * hands out) and of the input sources.
 */
#ifndef MIGSTREAM_PRIVATE_H
#define MIGSTREAM_PRIVATE_H

#ifndef MIGSTREAM_BUILDING
#error "private.h is private to libmigstream"
#endif

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "migstream.h"
#include "wire.h"
#include "rules.h"
#include "pages.h"

#define MS_HIDDEN __attribute__((visibility("hidden")))

/* Allocation goes through these so tests can fail the n-th allocation. */
void *ms_malloc(size_t n);
void *ms_realloc(void *p, size_t n);
void ms_free(void *p);

#ifdef MIGSTREAM_TESTING
/* Test library only (see error.c). */
void migstream__test_alloc_fail_at(unsigned long n);
unsigned long migstream__test_alloc_count(void);
size_t migstream__test_alloc_max(void);
#endif

/* ---------------------------------------------------------------- sources */
enum { MS_SRC_NONE, MS_SRC_MEM, MS_SRC_FD, MS_SRC_IO };

#define MS_READ_BLOCK (1024u * 1024u)   /* read-ahead size for fds and callbacks */

struct ms_source {
	int kind;
	/* MS_SRC_MEM */
	const uint8_t *mem;
	size_t mem_len;
	/* MS_SRC_FD */
	int fd;
	int own_fd;
	int seekable;
	uint64_t file_size;               /* regular files: size at open */
	/* MS_SRC_IO */
	migstream_read_io io;
	void *io_ctx;
	/* Read-ahead buffer (fd and io): valid octets are buf[head, tail). */
	uint8_t *buf;
	size_t cap, head, tail;
	size_t max_cap;                   /* never grows beyond this */
	uint64_t pos;                     /* stream offset of the next unconsumed octet */
	int eof;
	int closed;
	int ra_small;                     /* read ahead little: the caller takes bulk data itself */
	int is_pipe;                      /* fd is a pipe: skip with splice() to /dev/null */
	int null_fd;                      /* /dev/null for splice, -1 until needed */
	/* A callback broke its contract: which one, what it returned, the most
	 * it could have returned (for the error message). */
	const char *bad_cb;
	int64_t bad_ret;
	uint64_t bad_max;
};

/* Largest errno a callback may return negated (Linux uses the same bound
 * for its system calls' -errno returns). */
#define MS_ERRNO_MAX 4095

void ms_src_init(struct ms_source *s);
/* Make `need` octets contiguous at the current position.  p and avail give
 * what is there (avail < need only at EOF).  0, or E_IO/E_NOMEM (with
 * errno in *err_no). */
int ms_src_peek(struct ms_source *s, size_t need, const uint8_t **p, size_t *avail, int *err_no);
void ms_src_consume(struct ms_source *s, size_t n);
/* Skip n octets; *done receives how many (short only at EOF). */
int ms_src_skip(struct ms_source *s, uint64_t n, uint64_t *done, int *err_no);
/* Read n octets into iov (total n); *done short only at EOF. */
int ms_src_readv(struct ms_source *s, struct iovec *iov, int iovcnt, size_t n, size_t *done,
                 int *err_no);
/* Close per ownership; returns 0 or -errno. */
int ms_src_close(struct ms_source *s);

/* ---------------------------------------------------------------- sinks */
enum { MS_SINK_NONE, MS_SINK_FD, MS_SINK_MEM, MS_SINK_IO };

struct ms_sink {
	int kind;
	int fd;
	int own_fd;
	int wait;                         /* poll on EAGAIN */
	int sync;                         /* fsync before close */
	migstream_write_io io;
	void *io_ctx;
	uint8_t *mem;
	size_t mem_len, mem_cap;
	uint64_t pos;                     /* octets accepted by the sink */
	int closed;
	int64_t bad_ret;                  /* a writev callback's value outside its contract */
};

void ms_sink_init(struct ms_sink *s);
/* Write every octet of iov.  0, or E_IO / E_AGAIN / E_NOMEM with errno in
 * *e; *written = octets of this call that reached the sink. */
int ms_sink_writev(struct ms_sink *s, const struct iovec *iov, int cnt, uint64_t *written, int *e);
/* 0 or -errno. */
int ms_sink_close(struct ms_sink *s);

/* ---------------------------------------------------------------- writer */
#define MS_WRITER_MAGIC 0x6d735752u   /* "msWR" */
#define MS_WOPT_MAX 25

enum ms_wstate {
	MS_WS_NEW,        /* options settable */
	MS_WS_OPEN,       /* sink attached, nothing written */
	MS_WS_XL,         /* xl header written: the libxl header comes next */
	MS_WS_IMAGE,      /* image header written */
	MS_WS_RECORDS,    /* domain header written */
	MS_WS_ENDED,      /* END written */
	MS_WS_FAILED,     /* sink failed: sticky */
	MS_WS_CLOSED
};

struct migstream_writer {
	uint32_t magic;
	int state;
	int fail_code;
	int raw;
	uint64_t opt[MS_WOPT_MAX + 1];
	struct ms_sink sink;
	struct ms_ctx ctx;
	struct ms_libxc xc;
	int be;                           /* libxc image byte order */
	uint64_t rec_index;
	struct ms_libxl lx;
	struct ms_flow flow;
	uint64_t lx_index;
	uint32_t want_layer;              /* layer the typed call being made belongs to */
	uint8_t *scratch;                 /* record header + encoded body */
	size_t scratch_cap;
	/* MIGSTREAM_OPT_ATOMIC: the stream goes to tmp_path, renamed over
	 * final_path by a successful close (both NULL otherwise). */
	char *tmp_path;
	char *final_path;
	int replace;                      /* final_path may be replaced */
};

/* Writer option bounds (keys 13..MS_WOPT_MAX), for migstream_option_bounds. */
int ms_wopt_bounds(int key, uint64_t *min, uint64_t *max);

/* ---------------------------------------------------------------- reader */
#define MS_READER_MAGIC 0x6d735244u   /* "msRD" */

enum ms_state {
	MS_ST_NEW,        /* created, options settable */
	MS_ST_OPEN,       /* source attached, headers not read */
	MS_ST_RECORDS,    /* headers read, records follow */
	MS_ST_DONE,       /* final END delivered */
	MS_ST_FATAL,      /* dead: every call returns fatal_code */
	MS_ST_CLOSED
};

struct migstream_record {
	struct ms_pages *pages;           /* the owner of its page contents */
	uint32_t layer, type, length;
	uint64_t offset, index;
	int be;
	const uint8_t *body;              /* octets of the body in memory */
	size_t avail;
	/* PAGE_DATA */
	uint32_t count, data_pages;
};

struct migstream_reader {
	uint32_t magic;
	int state;
	int fatal_code;

	/* Options. */
	uint64_t opt[16];

	struct ms_source src;
	struct ms_ctx ctx;
	struct ms_libxc xc;

	uint32_t format;
	int layer;                        /* layer of the next record */
	int nested;                       /* libxc image inside a libxl stream */
	int need_libxc_headers;           /* after LIBXC_CONTEXT */
	struct ms_libxl lx;
	uint64_t lx_index;                /* next libxl record ordinal */
	uint64_t libxl_offset;
	int have_xl, have_libxl;
	migstream_xl_header xlh;
	uint8_t *xl_opt;                  /* xl optional data */
	size_t xl_opt_len, xl_config_len;
	struct ms_xl_config cfg;
	migstream_libxl_header lh;
	int have_headers;
	migstream_image_header ih;
	migstream_domain_header dh;
	uint64_t image_offset;            /* stream offset of the libxc image header */
	uint64_t rec_index;               /* next libxc record ordinal */

	/* Current record. */
	struct migstream_record rec;
	int rec_live;
	size_t rec_consume;               /* octets to consume from src before the next record */
	struct ms_pages pages;            /* PAGE_DATA contents (pages.c) */
	uint64_t skip_rest;               /* body octets of a broken record still to skip */
	int done_checked;                 /* ORDER-1 checked after END */
};

#endif /* MIGSTREAM_PRIVATE_H */
