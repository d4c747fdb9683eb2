#include "migstream.h"
int cmd_dump(int argc, char **argv) { (void)argc; (void)argv; return 2; }
int cmd_stats(int argc, char **argv) { (void)argc; (void)argv; return 2; }
