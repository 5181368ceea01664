/* Profiling probe (not part of the suite's assertions): a warm fault and
 * two null syscalls between markers, for `qemu -d exec` traces. */
#include "libsys.h"
static volatile char pages[8][4096];
int main(void)
{
	pages[0][0] = 1;
	pages[1][0] = 1;
	sys_debug_write(0, 0);	/* marker */
	sys_debug_write(0, 0);	/* marker */
	pages[2][0] = 1;
	sys_debug_write(0, 0);	/* marker */
	return 0;
}
