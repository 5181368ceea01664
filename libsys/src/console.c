/*
 * The console driver's client side (abi/console.h): starting the driver
 * with the UART's capabilities, minting client handles, reading input.
 * A read blocks in the call until the driver has input for it.
 */
#include <string.h>
#include "libsys.h"
#include "abi/console.h"

static int64_t console_call(uint64_t ep, struct ipc_msg *m)
{
	int64_t r = ipc_call(ep, m);

	return r < 0 ? r : (int64_t)m->w[0];
}

int64_t console_spawn(const struct proc_device *devs, uint64_t ndevs, int64_t *pid_out)
{
	return driver_spawn("console", devs, ndevs, CONSOLE_SETUP_DEVICE, CONSOLE_SETUP_IRQ, 0,
			    pid_out);
}

int64_t console_client(uint64_t ep, uint64_t badge)
{
	if (badge == 0 || badge >= CONSOLE_MAX_CLIENTS)
		return -ERR_INVAL;
	return sys_handle_grant(0, ep, badge, RIGHT_SEND | RIGHT_GRANT);
}

int64_t console_read(uint64_t ep, void *buf, uint64_t count, uint64_t mode)
{
	struct ipc_msg m = { .info = ipc_info(CONSOLE_READ, 0, 0), .w = { count, mode } };
	int64_t r = console_call(ep, &m);

	if (r < 0)
		return r;
	if ((uint64_t)r > count || (uint64_t)r != ipc_len(m.info))
		return -ERR_IO;		/* not what the protocol promises */
	memcpy(buf, ipcbuf(), (size_t)r);
	return r;
}

int64_t console_info(uint64_t ep, struct console_info *ci)
{
	struct ipc_msg m = { .info = ipc_info(CONSOLE_INFO, 0, 0) };
	int64_t r = console_call(ep, &m);

	if (r < 0)
		return r;
	memcpy(ci, m.w, sizeof(*ci));
	return ci->magic == CONSOLE_MAGIC ? 0 : -ERR_NOTSUP;
}
