/*
 * The block driver's client side (abi/blk.h): starting the driver,
 * attaching, submitting requests and waiting for their completions.
 * Waiting happens here, on the client's own notification; the driver
 * itself answers every call at once.
 */
#include <signal.h>
#include <string.h>
#include "libsys.h"
#include "abi/blk.h"

static int64_t blk_call(uint64_t ep, struct ipc_msg *m)
{
	int64_t r = ipc_call(ep, m);

	return r < 0 ? r : (int64_t)m->w[0];
}

static int64_t setup_grant(uint64_t ep, uint64_t label, uint64_t h)
{
	struct ipc_msg m = { .info = ipc_info(label, 0, IPC_GRANT) };

	m.w[5] = h;
	return blk_call(ep, &m);
}

int64_t blk_spawn(const struct proc_device *devs, uint64_t ndevs, int64_t *pid_out)
{
	const char *argv[] = { "blk", NULL };
	int64_t ep, pid, r = -ERR_NODEV;
	uint64_t i;

	if ((ep = sys_endpoint_create()) < 0)
		return ep;
	if ((pid = spawn(argv, (uint64_t)ep)) < 0) {
		sys_handle_close((uint64_t)ep);
		return pid;
	}
	for (i = 0; i < ndevs && r == -ERR_NODEV; i++)
		r = setup_grant((uint64_t)ep, BLK_SETUP_DEVICE, devs[i].device);
	if (r == 0)
		r = setup_grant((uint64_t)ep, BLK_SETUP_IRQ, devs[i - 1].irq);
	if (r < 0) {
		kill((int)pid, SIGKILL);
		sys_handle_close((uint64_t)ep);
		return r;
	}
	if (pid_out)
		*pid_out = pid;
	return ep;
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
		sys_handle_close((uint64_t)ep);
		return r;
	}
	return ep;
}

int64_t blk_attach(struct blk_client *c, uint64_t ep)
{
	struct ipc_msg m = { .info = ipc_info(BLK_ATTACH, 0, IPC_GRANT) };
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

/* Move the driver's completed requests into c; how many, or -ERR_*. */
static int64_t reap(struct blk_client *c)
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

/* Wait until a completion in mask (of tags) is reaped: the first such
 * tag to complete. */
static int64_t wait_mask(struct blk_client *c, uint32_t mask, int32_t *result)
{
	for (;;) {
		for (unsigned i = 0; i < c->nreaped; i++) {
			struct blk_done d = c->reaped[i];
			if (d.tag < 0 || d.tag >= BLK_SLOTS || !(mask & (1u << d.tag)))
				continue;
			c->nreaped--;
			memmove(&c->reaped[i], &c->reaped[i + 1],
				(c->nreaped - i) * sizeof(c->reaped[0]));
			*result = d.status;
			return d.tag;
		}
		int64_t r = reap(c);
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
	r = wait_mask(c, 1u << tag, &result);
	return r < 0 ? r : result;
}

int64_t blk_wait_any(struct blk_client *c, int32_t *result)
{
	return wait_mask(c, ~0u, result);
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
