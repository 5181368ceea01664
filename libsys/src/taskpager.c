/*
 * Per-task pagers, the holder's side: start a child with PSPAWN_PAGER,
 * forward its faults with their reply handles (PAGER_FAULT_FORWARD), or
 * answer them here. abi/pager.h has the protocol.
 */
#include <string.h>
#include "libsys.h"
#include "libsys_file.h"
#include "taskpager.h"

int64_t taskpager_start(const char *const argv[], uint64_t ep)
{
	if (!argv || !argv[0] || !ep)
		return -ERR_INVAL;
	if (strchr(argv[0], '/'))
		return spawn_path_flags(argv, ep, PSPAWN_PAGER);
	return spawn_flags(argv, ep, PSPAWN_PAGER);
}

int64_t taskpager_forward(const struct ipc_msg *f, int64_t pid, uint64_t *status)
{
	int64_t h = sys_reply_save();	/* the fault's reply, as a handle to grant */
	struct ipc_msg m;
	int64_t r;

	if (h < 0)
		return h;
	m = (struct ipc_msg){ .info = ipc_info(PAGER_FAULT_FORWARD, 0, IPC_GRANT),
			      .w = { f->w[0], f->w[1], f->w[2], f->w[3], (uint64_t)pid, (uint64_t)h } };
	r = pager_call(&m);
	/* Spent by the pager's answer (or kept by it as a copy while a fill
	 * runs); ours goes either way. */
	sys_handle_close((uint64_t)h);
	if (status)
		*status = r >= 0 ? m.w[1] : 0;
	return r;
}

int64_t taskpager_forward_death(int64_t pid)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_FAULT_FORWARD, 0, 0),
			     .w = { 0, 0, 0, FAULT_KIND_EXIT, (uint64_t)pid, 0 } };

	return pager_call(&m);
}

int64_t taskpager_answer(uint64_t label)
{
	int64_t h = sys_reply_save();
	struct ipc_msg m = { .info = ipc_info(label, 0, 0) };
	int64_t r;

	if (h < 0)
		return h;
	r = ipc_reply((uint64_t)h, &m);
	sys_handle_close((uint64_t)h);
	return r;
}
