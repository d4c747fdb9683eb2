/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * fuzz_tools.h: forced into every file of the migstream command when it is
 * built for fuzz_tools (-include), where its main() is renamed
 * migstream_main() (-Dmain=migstream_main) so that the harness can call it.
 */
#ifndef MIGSTREAM_FUZZ_TOOLS_H
#define MIGSTREAM_FUZZ_TOOLS_H

int migstream_main(int argc, char **argv);

#endif /* MIGSTREAM_FUZZ_TOOLS_H */
