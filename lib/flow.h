/*
 * flow.h: which layer has the stream (flow.c), shared by reader and writer.
 */
#ifndef MIGSTREAM_FLOW_H
#define MIGSTREAM_FLOW_H

#ifndef MIGSTREAM_BUILDING
#error "flow.h is private to libmigstream"
#endif

#include <stdint.h>

struct ms_libxl;
struct ms_libxc;

/*
 * Which layer has the stream, shared by reader and writer: after each
 * record, ms_flow_after() hands the stream between the layers (F 11, F 12).
 */
struct ms_flow {
	uint32_t layer;               /* MIGSTREAM_LAYER_LIBXL or _LIBXC: the next record's */
	int nested;                   /* libxc inside libxl */
	int need_libxc_headers;       /* an image header comes next (after LIBXC_CONTEXT) */
	int done;                     /* the outermost END was passed */
	int restart_libxc;            /* a second image follows: reset the libxc state */
};
void ms_flow_after(struct ms_flow *f, struct ms_libxl *l, const struct ms_libxc *xc, uint32_t layer,
                   uint32_t type);

#endif /* MIGSTREAM_FLOW_H */
