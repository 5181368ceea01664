/*
 * The block driver's client side (abi/blk.h): starting the driver,
 * attaching, submitting requests and waiting for their completions.
 * Waiting happens here, on the client's own notification; the driver
 * itself answers every call at once.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include "libsys.h"
#include "abi/blk.h"

static int64_t blk_call(uint64_t ep, struct ipc_msg *m)
{
	int64_t r = ipc_call(ep, m);

	return r < 0 ? r : (int64_t)m->w[0];
}

int64_t blk_spawn(const struct proc_device *devs, uint64_t ndevs, int64_t *pid_out)
{
	return driver_spawn("blk", devs, ndevs, BLK_SETUP_DEVICE, BLK_SETUP_IRQ,
			    PSPAWN_DMA | PSPAWN_OOM_PROTECT, pid_out);
}

int64_t blk_set_pool(uint64_t ep, uint64_t pool_pa, uint64_t pool_len)
{
	struct ipc_msg m = { .info = ipc_info(BLK_SETUP_POOL, 0, 0), .w = { pool_pa, pool_len } };

	return blk_call(ep, &m);
}

int64_t blk_start(const struct proc_device *devs, uint64_t ndevs, uint64_t pool_pa,
		  uint64_t pool_len)
{
	int64_t pid = 0, ep = blk_spawn(devs, ndevs, &pid), r;

	if (ep < 0)
		return ep;
	if ((r = blk_set_pool((uint64_t)ep, pool_pa, pool_len)) < 0) {
		kill((int)pid, SIGKILL);
		waitpid((pid_t)pid, NULL, 0);
		sys_handle_close((uint64_t)ep);
		return r;
	}
	return ep;
}

int64_t blk_attach(struct blk_client *c, uint64_t ep)
{
	return blk_attach_inflight(c, ep, 0);
}

int64_t blk_attach_inflight(struct blk_client *c, uint64_t ep, uint64_t want)
{
	struct ipc_msg m = { .info = ipc_info(BLK_ATTACH, 0, IPC_GRANT), .w = { want } };
	int64_t n, r;

	memset(c, 0, sizeof(*c));
	if ((n = sys_notif_create()) < 0)
		return n;
	m.w[5] = (uint64_t)n;
	if ((r = blk_call(ep, &m)) < 0) {
		sys_handle_close((uint64_t)n);
		return r;
	}
	c->ep = ep;
	c->notif = (uint64_t)n;
	memcpy(&c->info, m.w, sizeof(c->info));
	return 0;
}

int64_t blk_submit(struct blk_client *c, uint64_t label, uint64_t sector, uint64_t count,
		   uint64_t offset)
{
	struct ipc_msg m = { .info = ipc_info(label, 0, 0) };
	struct blk_io io = { .sector = sector, .count = count, .offset = offset };

	memcpy(m.w, &io, sizeof(io));
	return blk_call(c->ep, &m);
}

/* BLK_READ_PAGES: the pages' addresses travel in the IPC buffer. */
int64_t blk_submit_pages(struct blk_client *c, uint64_t sector, uint64_t npages,
			 const uint64_t *pa)
{
	struct ipc_msg m = { .info = ipc_info(BLK_READ_PAGES, npages * sizeof(*pa), 0) };
	struct blk_pages_io io = { .sector = sector, .npages = npages };

	if (!npages || npages > BLK_PAGES_MAX)
		return -ERR_INVAL;
	memcpy(m.w, &io, sizeof(io));
	memcpy(ipcbuf(), pa, npages * sizeof(*pa));
	return blk_call(c->ep, &m);
}

/* Move the driver's completed requests into c; how many, or -ERR_*. */
int64_t blk_reap(struct blk_client *c)
{
	struct ipc_msg m = { .info = ipc_info(BLK_REAP, 0, 0) };
	struct blk_reap out;
	int64_t r = blk_call(c->ep, &m);

	if (r <= 0)
		return r;
	memcpy(&out, m.w, sizeof(out));
	for (int64_t i = 0; i < out.n && i < BLK_REAP_MAX && c->nreaped < BLK_SLOTS; i++)
		c->reaped[c->nreaped++] = out.done[i];
	return r;
}

/* Take the first reaped completion whose tag is in mask: the tag, or -1. */
static int64_t take(struct blk_client *c, uint64_t mask, int32_t *result)
{
	for (unsigned i = 0; i < c->nreaped; i++) {
		struct blk_done d = c->reaped[i];
		if (d.tag < 0 || d.tag >= BLK_SLOTS || !(mask & (1ul << d.tag)))
			continue;
		c->nreaped--;
		memmove(&c->reaped[i], &c->reaped[i + 1], (c->nreaped - i) * sizeof(c->reaped[0]));
		*result = d.status;
		return d.tag;
	}
	return -1;
}

/* Wait until a completion in mask (of tags) is reaped: the first such
 * tag to complete. */
static int64_t wait_mask(struct blk_client *c, uint64_t mask, int32_t *result)
{
	for (;;) {
		int64_t tag = take(c, mask, result);
		if (tag >= 0)
			return tag;
		int64_t r = blk_reap(c);
		if (r < 0)
			return r;
		if (r == 0 && (r = sys_wait(c->notif)) < 0)
			return r;
	}
}

int64_t blk_wait(struct blk_client *c, int64_t tag)
{
	int32_t result;
	int64_t r;

	if (tag < 0 || tag >= BLK_SLOTS)
		return -ERR_INVAL;
	r = wait_mask(c, 1ul << tag, &result);
	return r < 0 ? r : result;
}

int64_t blk_wait_any(struct blk_client *c, int32_t *result)
{
	return wait_mask(c, ~0ul, result);
}

int64_t blk_take(struct blk_client *c, int32_t *result)
{
	int64_t tag = take(c, ~0ul, result);

	return tag >= 0 ? tag : -ERR_AGAIN;
}

int64_t blk_poll(struct blk_client *c, int32_t *result)
{
	int64_t tag = take(c, ~0ul, result), r;

	if (tag >= 0)
		return tag;
	if ((r = blk_reap(c)) < 0)
		return r;
	tag = take(c, ~0ul, result);
	return tag >= 0 ? tag : -ERR_AGAIN;
}

extern const char blk_relay_thread[], blk_relay_thread_end[];
_Static_assert(SYS_IPC_SEND == 4 && SYS_WAIT == 12 && SYS_THREAD_EXIT == 17,
	       "blk_relay.S's syscall numbers");

int64_t blk_relay_start(uint64_t notif, uint64_t ep, uint64_t badge, uint64_t label)
{
	uint64_t code = (uint64_t)blk_relay_thread;
	int64_t task, h_notif, h_ep, r;

	if ((code & (PAGE_SIZE - 1)) || blk_relay_thread_end - blk_relay_thread > (long)PAGE_SIZE ||
	    label >> 32)
		return -ERR_INVAL;
	if ((task = sys_task_create()) < 0)
		return task;
	if ((r = h_notif = sys_handle_grant((uint64_t)task, notif, 0, RIGHT_RECV)) < 0 ||
	    (r = h_ep = sys_handle_grant((uint64_t)task, ep, badge, RIGHT_SEND)) < 0)
		goto fail;
	(void)*(volatile const char *)code;	/* fault the page in before lending it */
	if ((r = sys_map((uint64_t)task, code, code, MAP_R | MAP_X)) < 0)
		goto fail;
	r = sys_thread_create((uint64_t)task, code, 0,
			      (uint64_t)h_notif | (uint64_t)h_ep << 16 | label << 32, 0, 0);
	if (r < 0)
		goto fail;
	sys_handle_close((uint64_t)r);		/* the task handle is enough */
	return task;
fail:
	sys_task_destroy((uint64_t)task);
	sys_handle_close((uint64_t)task);
	return r;
}

static int64_t sync_request(struct blk_client *c, uint64_t label, uint64_t sector,
			    uint64_t count, uint64_t offset)
{
	int64_t tag = blk_submit(c, label, sector, count, offset);

	return tag < 0 ? tag : blk_wait(c, tag);
}

int64_t blk_read(struct blk_client *c, uint64_t sector, uint64_t count, uint64_t offset)
{
	return sync_request(c, BLK_READ, sector, count, offset);
}

int64_t blk_write(struct blk_client *c, uint64_t sector, uint64_t count, uint64_t offset)
{
	return sync_request(c, BLK_WRITE, sector, count, offset);
}

int64_t blk_flush(struct blk_client *c)
{
	return sync_request(c, BLK_FLUSH, 0, 0, 0);
}
