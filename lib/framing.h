/*
 * framing.h: the framing rules the reader and the writer share.
 *
 * Each rule that both sides enforce on the frame of a stream (the record
 * cap, nothing after the final END, the COLO back channel's cycle, the
 * xl STREAMv2 flag) is one function here, so a stream read and a stream
 * refused while written get the same finding, with the same message, at
 * the offset the caller names.  The location fields of the context are
 * the caller's, as for every rule.
 */
#ifndef MIGSTREAM_FRAMING_H
#define MIGSTREAM_FRAMING_H

#ifndef MIGSTREAM_BUILDING
#error "framing.h is private to libmigstream"
#endif

#include <stdint.h>

#include "rules.h"

struct ms_libxl;
struct ms_libxc;
struct ms_xl_config;

/* REC-2 (libxc) / LIBXL-9 (libxl): body_length `len` of the record at `off`
 * against the cap (at most 128 MiB).  0, or the rule's code. */
int ms_frame_length(struct ms_ctx *c, uint32_t layer, uint64_t len, uint64_t cap, uint64_t off);

/* ORDER-1: something follows the final END at `off`: octets of a file
 * (first_octet 0..255, the reader) or a record of `layer`/`type` (the
 * writer, first_octet -1).  Sets the location to "end of stream". */
int ms_frame_after_end(struct ms_ctx *c, uint64_t off, int first_octet, uint32_t layer,
                       uint32_t type);

/* CKPT-10, libxc side: on the COLO back channel the libxc layer carries
 * CHECKPOINT_DIRTY_PFN_LIST only.  0, or the rule's code (reported at the
 * record's offset). */
int ms_frame_back_channel_libxc(const struct ms_libxl *l, struct ms_ctx *c, uint32_t type);

/* XL-13: the xl header's mandatory flags at `off` lack STREAMv2.  reading:
 * a legacy stream follows (the reader); otherwise the writer refuses to
 * write one.  0 if the flag is set, else the rule's code. */
int ms_frame_xl_streamv2(struct ms_ctx *c, uint32_t mandatory_flags, uint64_t off, int reading);

/* What the xl configuration tells the rules (rules.md 1.2), unless the
 * caller said otherwise: the guest type and the vCPU count. */
void ms_frame_xl_knowledge(struct ms_libxl *l, struct ms_libxc *x, const struct ms_xl_config *cfg);

#endif /* MIGSTREAM_FRAMING_H */
