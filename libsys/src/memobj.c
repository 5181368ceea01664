/*
 * External memory objects (libsys_memobj.h): one pager call each.
 */
#include <string.h>
#include "libsys.h"
#include "libsys_memobj.h"

static int64_t mo_call(uint64_t label, uint64_t a, uint64_t b, uint64_t c, struct ipc_msg *m)
{
	*m = (struct ipc_msg){ .info = ipc_info(label, 0, 0), .w = { a, b, c } };
	return pager_call(m);
}

int64_t mo_serve(uint64_t timeout_ms, struct mo_server *s)
{
	struct ipc_msg m;
	int64_t r = mo_call(PAGER_MO_SERVE, timeout_ms, 0, 0, &m);

	if (r == 0) {
		s->notif = m.w[1];
		s->window = m.w[2];
	}
	return r;
}

int64_t mo_create(uint64_t size, uint64_t *token)
{
	struct ipc_msg m;
	int64_t r = mo_call(PAGER_MO_CREATE, size, 0, 0, &m);

	if (r > 0)
		*token = m.w[1];
	return r;
}

int64_t mo_close(uint32_t key)
{
	struct ipc_msg m;

	return mo_call(PAGER_MO_CLOSE, key, 0, 0, &m);
}

int64_t mo_map(int64_t server, uint32_t key, uint64_t token, void *hint, uint64_t length,
	       int prot, int flags, uint64_t offset)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_MO_MAP, 0, 0),
			     .w = { (uint64_t)server | (uint64_t)key << 32, token, (uint64_t)hint,
				    length, (uint64_t)(uint32_t)prot | (uint64_t)(uint32_t)flags << 32,
				    offset } };

	return pager_call(&m);
}

int64_t mo_wait(uint32_t token, int64_t result, struct pager_backing_req *q)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_MO_WAIT, 0, 0),
			     .w = { token, (uint64_t)result } };
	int64_t r = pager_call(&m);

	if (r > 0)
		*q = (struct pager_backing_req){ .op = MO_WAIT_OP(m.w[1]), .key = MO_WAIT_KEY(m.w[1]),
						 .index = m.w[2], .count = MO_WAIT_COUNT(m.w[3]),
						 .token = MO_WAIT_TOKEN(m.w[3]), .window = m.w[4],
						 .bytes = m.w[5] };
	return r;
}

int64_t mo_fetch(struct pager_backing_req *q)
{
	struct ipc_msg m;
	int64_t r = mo_call(PAGER_OBJ_FETCH, 0, 0, 0, &m);

	if (r > 0)
		memcpy(q, ipcbuf(), (uint64_t)r * sizeof(*q));
	return r;
}

int64_t mo_done(uint32_t token, int64_t result)
{
	struct ipc_msg m;

	return mo_call(PAGER_OBJ_DONE, token, (uint64_t)result, 0, &m);
}

int64_t mo_invalidate(uint32_t key, uint64_t first, uint64_t n)
{
	struct ipc_msg m;

	return mo_call(PAGER_MO_INVALIDATE, key, first, n, &m);
}

int64_t mo_drop_clean(uint32_t key, uint64_t first, uint64_t n)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_MO_INVALIDATE, 0, 0),
			     .w = { key, first, n, MO_INVAL_CLEAN } };

	return pager_call(&m);
}

int64_t mo_protect(uint32_t key, uint64_t first, uint64_t n)
{
	struct ipc_msg m;

	return mo_call(PAGER_MO_PROTECT, key, first, n, &m);
}

int64_t mo_dirty(uint32_t key, uint64_t first, uint64_t n, uint64_t *mask)
{
	struct ipc_msg m;
	int64_t r = mo_call(PAGER_MO_DIRTY, key, first, n, &m);

	if (r == 0)
		*mask = m.w[1];
	return r;
}

int64_t mo_supply(uint32_t key, uint64_t first, uint64_t n, const void *src)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_MO_SUPPLY, 0, 0),
			     .w = { key, first, n, (uint64_t)src } };

	return pager_call(&m);
}

int64_t mo_flush(uint32_t key)
{
	struct ipc_msg m;

	return mo_call(PAGER_OBJ_FLUSH, key, 0, 0, &m);
}

int64_t mo_set_size(uint32_t key, uint64_t size)
{
	struct ipc_msg m;

	return mo_call(PAGER_OBJ_SIZE, key, size, 0, &m);
}
