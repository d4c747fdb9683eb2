/*
 * writer.h: the writer handle (writer.c).
 */
#ifndef MIGSTREAM_WRITER_INT_H
#define MIGSTREAM_WRITER_INT_H

#ifndef MIGSTREAM_BUILDING
#error "writer.h is private to libmigstream"
#endif

#include <stdint.h>

#include "migstream.h"
#include "options.h"
#include "sink.h"
#include "rules.h"
#include "rules_libxc.h"
#include "rules_libxl.h"
#include "flow.h"

#define MS_WRITER_MAGIC 0x6d735752u   /* "msWR" */

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
	uint64_t opt[MS_OPT_MAX + 1];
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
	int again;                        /* this call's octets went partly to the sink's pending buffer */
};

#endif /* MIGSTREAM_WRITER_INT_H */
