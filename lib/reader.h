/*
 * reader.h: the reader handle (reader.c) and the record views it hands out
 * (record.c).
 */
#ifndef MIGSTREAM_READER_INT_H
#define MIGSTREAM_READER_INT_H

#ifndef MIGSTREAM_BUILDING
#error "reader.h is private to libmigstream"
#endif

#include <stddef.h>
#include <stdint.h>

#include "migstream.h"
#include "options.h"
#include "source.h"
#include "rules.h"
#include "rules_libxc.h"
#include "rules_libxl.h"
#include "pages.h"
#include "checkpoint.h"

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
	uint64_t opt[MS_OPT_MAX + 1];

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
	struct ms_ckpt ckpt;              /* the rounds (checkpoint.c) */
};

#endif /* MIGSTREAM_READER_INT_H */
