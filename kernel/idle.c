/*
 * The idle message: the pager may ask to be told, once, when the hart has
 * nothing to run (SYS_IDLE_NOTIFY), so that work it can defer (zeroing free
 * frames, pager/zeropool.c) uses time that would otherwise go to wfi. One
 * arming, one message: the idle loop delivers it to a thread waiting to
 * receive on the armed endpoint, as a kernel message (IPC_KERNEL, the
 * armed label, badge 0), and disarms. Nothing is queued: if no thread is
 * waiting there, the hart idles as before and the arming stays.
 *
 * Root task only: the message hands its receiver the hart whenever nobody
 * else wants it, which is the pager's to have and no one else's.
 */
#include "abi/kernel.h"
#include "object.h"

extern struct task *root_task;

static struct endpoint *idle_ep;	/* holds a reference while set */
static uint64_t idle_label;
static bool idle_armed;

/* (endpoint or 0 = disarm, label) -> 0. */
int64_t sys_idle_notify(struct thread *t, const uint64_t *a)
{
	struct endpoint *ep = NULL;
	int err = 0;

	if (t->task != root_task)
		return -ERR_PERM;
	if (a[0]) {
		ep = (struct endpoint *)handle_get(t->task, a[0], KOBJ_ENDPOINT, RIGHT_RECV,
						   NULL, &err);
		if (!ep)
			return err;
		if (a[1] >> (64 - IPC_LABEL_SHIFT))
			return -ERR_INVAL;	/* would not fit the info word */
	}
	if (ep != idle_ep) {
		if (ep)
			kobj_ref(&ep->hdr);
		if (idle_ep)
			kobj_unref(&idle_ep->hdr);
		idle_ep = ep;
	}
	idle_label = a[1];
	idle_armed = ep != NULL;
	return 0;
}

bool idle_message(void)
{
	if (!idle_armed || !ipc_kernel_post(idle_ep, idle_label))
		return false;
	idle_armed = false;
	return true;
}
