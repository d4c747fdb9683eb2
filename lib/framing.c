/*
 * framing.c: the framing rules shared by the reader and the writer
 * (REC-2/LIBXL-9, ORDER-1, the libxc side of CKPT-10, XL-13) and the
 * knowledge the xl configuration gives the rules.
 */
#include "config.h"

#include <string.h>

#include "rules.h"
#include "rules_libxc.h"
#include "rules_libxl.h"
#include "framing.h"

int ms_frame_length(struct ms_ctx *c, uint32_t layer, uint64_t len, uint64_t cap, uint64_t off)
{
	enum ms_rule_id rule = layer == MIGSTREAM_LAYER_LIBXC ? R_REC_2 : R_LIBXL_9;

	if (len <= cap)
		return 0;
	if (len > MIGSTREAM_MAX_RECORD_LEN)
		return ms_report(c, rule, off, "body_length %llu (0x%llx) exceeds the 128 MiB limit",
		                 (unsigned long long)len, (unsigned long long)len);
	return ms_report(c, rule, off, "body_length %llu (0x%llx) exceeds the configured cap of %llu",
	                 (unsigned long long)len, (unsigned long long)len, (unsigned long long)cap);
}

int ms_frame_after_end(struct ms_ctx *c, uint64_t off, int first_octet, uint32_t layer,
                       uint32_t type)
{
	c->rec_index = MIGSTREAM_NO_RECORD;
	c->what = "end of stream";
	if (first_octet >= 0)
		return ms_report(c, R_ORDER_1, off,
		                 "octets follow the final END (first octet 0x%02x); nothing may follow it",
		                 (unsigned)first_octet);
	return ms_report(c, R_ORDER_1, off, "%s after the final END; nothing may follow it",
	                 migstream_record_type_name(layer, type));
}

int ms_frame_back_channel_libxc(const struct ms_libxl *l, struct ms_ctx *c, uint32_t type)
{
	if (l->phase != MS_LX_BACK || type == MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST)
		return 0;
	return ms_report(c, R_CKPT_10, c->rec_offset,
	                 "record type 0x%08x (%s) where the back channel cycle expects "
	                 "CHECKPOINT_DIRTY_PFN_LIST",
	                 type, migstream_record_type_name(MIGSTREAM_LAYER_LIBXC, type));
}

int ms_frame_xl_streamv2(struct ms_ctx *c, uint32_t mandatory_flags, uint64_t off, int reading)
{
	if (mandatory_flags & MIGSTREAM_XL_FLAG_STREAMV2)
		return 0;
	return ms_report(c, R_XL_13, off, "STREAMv2 flag clear: %s",
	                 reading ? "a legacy (pre-Xen 4.6) stream follows; convert it first"
	                         : "this library writes v2 streams only");
}

void ms_frame_xl_knowledge(struct ms_libxl *l, struct ms_libxc *x, const struct ms_xl_config *cfg)
{
	if (cfg->have_type) {
		int t = !strcmp(cfg->type, "pv") ? MIGSTREAM_GUEST_PV
		      : !strcmp(cfg->type, "hvm") ? MIGSTREAM_GUEST_HVM
		      : !strcmp(cfg->type, "pvh") ? MIGSTREAM_GUEST_PVH : 0;
		l->cfg_type = t;
		if (t && x->guest_type == MIGSTREAM_GUEST_UNKNOWN) {
			x->guest_type = t;
			x->guest_type_from_config = 1;
		}
	}
	if (cfg->max_vcpus && x->vcpus == 0)
		x->vcpus = cfg->max_vcpus;
}
