/*
 * External memory objects, both sides (abi/pager.h PAGER_MO_*,
 * docs/external-pagers.md; libsys/src/memobj.c). A server: mo_serve once,
 * mo_create objects, then answer requests (mo_wait, or mo_fetch +
 * mo_done after its notification). A client: mo_map with the server's
 * pid, the key and the token the server told it. Results: >= 0, or a
 * negated ERR_* code.
 */
#ifndef LIBSYS_MEMOBJ_H
#define LIBSYS_MEMOBJ_H

#include <stdint.h>
#include "abi/pager.h"

struct mo_server {
	uint64_t notif;		/* signalled when requests are queued (mo_fetch) */
	uint64_t window;	/* where request pages appear */
};

/* Become an external pager: answers are due within timeout_ms (0: the
 * default). */
int64_t mo_serve(uint64_t timeout_ms, struct mo_server *s);
/* A new object of size bytes: its key, and its token in *token. */
int64_t mo_create(uint64_t size, uint64_t *token);
int64_t mo_close(uint32_t key);
/* Map server pid's object key (PROT_* prot, MAP_SHARED or MAP_PRIVATE
 * and MAP_FIXED / MAP_POPULATE flags): the address. */
int64_t mo_map(int64_t server, uint32_t key, uint64_t token, void *hint, uint64_t length,
	       int prot, int flags, uint64_t offset);
/* Answer request `token` (0: none) with result (0, or a negated ERR_*:
 * its faults end in SIGBUS), then wait for the next request, into *q. */
int64_t mo_wait(uint32_t token, int64_t result, struct pager_backing_req *q);
/* The requests queued now, without waiting (q holds PAGER_OBJ_FETCH_MAX):
 * how many. */
int64_t mo_fetch(struct pager_backing_req *q);
int64_t mo_done(uint32_t token, int64_t result);
int64_t mo_invalidate(uint32_t key, uint64_t first, uint64_t n);
/* The same for the clean pages only (a compressing pager after write-back). */
int64_t mo_drop_clean(uint32_t key, uint64_t first, uint64_t n);
int64_t mo_protect(uint32_t key, uint64_t first, uint64_t n);
/* Pages [first, first + n) (n <= 64) dirty: bit i in *mask. */
int64_t mo_dirty(uint32_t key, uint64_t first, uint64_t n, uint64_t *mask);
/* Move n (<= BACKING_FILL_MAX) of our own private anonymous pages at src
 * (page-aligned) into the object at page first: no copy; ours read as
 * zeros after. */
int64_t mo_supply(uint32_t key, uint64_t first, uint64_t n, const void *src);
/* Queue the write-back of every dirty page now. */
int64_t mo_flush(uint32_t key);
int64_t mo_set_size(uint32_t key, uint64_t size);

#endif
