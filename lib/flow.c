/*
 * flow.c: which layer has the stream.  After each record the reader and
 * the writer alike call ms_flow_after(), which hands the stream between
 * the libxl and libxc layers (F 11, F 12) and moves the libxl phase on.
 */
#include "config.h"

#include "migstream.h"
#include "rules_libxc.h"
#include "rules_libxl.h"
#include "flow.h"

void ms_flow_after(struct ms_flow *f, struct ms_libxl *l, const struct ms_libxc *xc, uint32_t layer,
                   uint32_t type)
{
	if (layer == MIGSTREAM_LAYER_LIBXC) {
		if (l->phase == MS_LX_BACK) {
			l->bc_pos = 0;
			f->layer = MIGSTREAM_LAYER_LIBXL;
		} else if (type == MIGSTREAM_REC_END) {
			if (f->nested) {
				f->layer = MIGSTREAM_LAYER_LIBXL;
				l->phase = MS_LX_AFTER;
			} else {
				f->done = 1;
			}
		} else if (type == MIGSTREAM_REC_CHECKPOINT && f->nested) {
			f->layer = MIGSTREAM_LAYER_LIBXL;
			l->phase = MS_LX_CKPT;
			ms_libxl_new_segment(l);
		}
		return;
	}
	switch (type) {
	case MIGSTREAM_LIBXL_REC_END:
		if (l->phase != MS_LX_BACK)
			f->done = 1;
		break;
	case MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT:
		if (l->phase == MS_LX_BACK)
			break;
		f->restart_libxc = xc->version != 0;
		f->layer = MIGSTREAM_LAYER_LIBXC;
		f->need_libxc_headers = 1;
		l->phase = MS_LX_IN_LIBXC;
		break;
	case MIGSTREAM_LIBXL_REC_CHECKPOINT_END:
		if (l->phase != MS_LX_CKPT)
			break;
		l->checkpoints++;
		if (l->kind == MIGSTREAM_KIND_COLO) {
			l->phase = MS_LX_COLO_STATE;
		} else {
			l->phase = MS_LX_IN_LIBXC;
			f->layer = MIGSTREAM_LAYER_LIBXC;
		}
		break;
	case MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE:
		if (l->phase == MS_LX_BACK) {
			if (++l->bc_pos == 3)
				f->layer = MIGSTREAM_LAYER_LIBXC;
		} else if (l->phase == MS_LX_COLO_STATE) {
			l->phase = MS_LX_IN_LIBXC;
			f->layer = MIGSTREAM_LAYER_LIBXC;
		}
		break;
	default:
		break;
	}
}
