/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * headers.c: where each header of the stream being read lies (offset and
 * length), from what the reader kept as it read them, so that callers need
 * not know the header sizes.
 */
#include "config.h"

#include "reader.h"
#include "wire.h"

int migstream_reader_get_header_span(migstream_reader *r, int which, uint64_t *offset,
                                     uint64_t *length)
{
	uint64_t off, len;
	int have;

	if (!r || r->magic != MS_READER_MAGIC)
		return MIGSTREAM_E_INVAL;
	if (!offset || !length)
		return ms_usage(&r->ctx, MIGSTREAM_E_INVAL, __func__, "offset or length is NULL");
	switch (which) {
	case MIGSTREAM_HEADER_XL:
		/* An xl save file starts with its header. */
		have = r->have_xl;
		off = 0;
		len = MS_XL_HDR_SIZE;
		break;
	case MIGSTREAM_HEADER_XL_OPTIONAL:
		have = r->have_xl && r->xl_opt;
		off = MS_XL_HDR_SIZE;
		len = r->xl_opt_len;
		break;
	case MIGSTREAM_HEADER_LIBXL:
		have = r->have_libxl;
		off = r->libxl_offset;
		len = MS_LIBXL_HDR_SIZE;
		break;
	case MIGSTREAM_HEADER_IMAGE:
		have = r->have_headers;
		off = r->image_offset;
		len = MS_IHDR_SIZE;
		break;
	case MIGSTREAM_HEADER_DOMAIN:
		have = r->have_headers;
		off = r->image_offset + MS_IHDR_SIZE;
		len = MS_DHDR_SIZE;
		break;
	default:
		return ms_usage(&r->ctx, MIGSTREAM_E_INVAL, __func__,
		                "which %d is not a MIGSTREAM_HEADER_* value (1 to 5)", which);
	}
	if (!have)
		return ms_usage(&r->ctx, MIGSTREAM_E_STATE, __func__,
		                "the stream has no such header, or it is not read yet");
	*offset = off;
	*length = len;
	return 0;
}
