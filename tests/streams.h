/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * Sample streams written with the library's own writer (public API only):
 * the seed corpus generator and the allocation-failure test use them.
 * Each function takes a writer opened on a sink (options already set) and
 * writes one complete stream; it returns 0 or the first failing call's
 * code (the writer's errmsg says why).
 */
#ifndef MIGSTREAM_TEST_STREAMS_H
#define MIGSTREAM_TEST_STREAMS_H

#include <migstream.h>

/* A bare libxc image: a small HVM guest (v3, little-endian, CPU policy,
 * two PAGE_DATA batches, TSC, HVM_PARAMS, HVM_CONTEXT, END). */
int ts_write_hvm_image(migstream_writer *w);
/* The same guest as a v2 image (no static data records). */
int ts_write_hvm_image_v2(migstream_writer *w);
/* A bare 64-bit PV image (the writer needs MIGSTREAM_OPT_DEEP = 0: the
 * guest's page tables are not realistic). */
int ts_write_pv_image(migstream_writer *w);
/* A libxl stream: header, LIBXC_CONTEXT, the HVM image, emulator
 * xenstore data, emulator context, END. */
int ts_write_libxl(migstream_writer *w);
/* An xl save file: the xl header with a JSON configuration, then the
 * libxl stream above. */
int ts_write_xl(migstream_writer *w);
/* A checkpointed libxl stream (writer and reader option
 * MIGSTREAM_OPT_STREAM_KIND = MIGSTREAM_KIND_REMUS or _COLO): the image,
 * then `checkpoints` checkpoints, then END. */
int ts_write_checkpointed(migstream_writer *w, int colo, int checkpoints);
/* A COLO back channel (MIGSTREAM_KIND_COLO_BACK): `cycles` cycles of
 * CHECKPOINT_STATE 2, 3, 1 and a dirty pfn list. */
int ts_write_back_channel(migstream_writer *w, int cycles);

/* The JSON configuration ts_write_xl puts in the xl header. */
#define TS_XL_CONFIG "{\"c_info\":{\"type\":\"hvm\",\"name\":\"fuzz\"},\"b_info\":{\"max_vcpus\":1}}"

#endif /* MIGSTREAM_TEST_STREAMS_H */
