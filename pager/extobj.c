/*
 * External memory objects (abi/pager.h PAGER_MO_*, docs/external-pagers.md):
 * any process may become a server of the backing-store protocol
 * (PAGER_MO_SERVE), make objects (PAGER_MO_CREATE: a key and a token) and
 * let any process that knows the token map them (PAGER_MO_MAP), shared or
 * private, like files. The objects are file objects (mem_file.c) whose
 * server is the external pager, so faults, fills, write-back, msync and
 * the reverse map are the page cache's, on the same path as the file
 * server's. Here: the calls only an external pager makes, its quotas
 * (MO_OBJS_MAX, MO_PAGES_MAX; MO_REQS_MAX in backing.c) and its answer
 * timeout.
 */
#include <stdlib.h>
#include <string.h>
#include "abi/pager.h"
#include "backing.h"
#include "libsys.h"
#include "mmap.h"
#include "page.h"
#include "pager.h"
#include "proc.h"

#define PAGE_MASK (PAGE_SIZE - 1)
#define TICKS_PER_MS	10000ul	/* QEMU virt's timebase: 10 MHz */

/* Tokens: not guessable by a process that was not told one (64 bits
 * mixed from the clock and a counter, splitmix64's finalizer). */
static uint64_t token_next(void)
{
	static uint64_t state;
	uint64_t z;

	if (!state)
		state = rd_time() * 0x9e3779b97f4a7c15ull;
	state += 0x9e3779b97f4a7c15ull + (rd_time() << 17);
	z = state;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return z ? z : 1;
}

static int64_t mo_serve(struct proc *p, struct ipc_msg *m)
{
	uint64_t ms = m->w[0] ? m->w[0] : MO_TIMEOUT_DEFAULT_MS, window;
	struct bsrv *s;
	int64_t notif, h;
	int err;

	if (ms > MO_TIMEOUT_MAX_MS)
		return -ERR_INVAL;
	if ((notif = sys_notif_create()) < 0)
		return notif;
	if (!(s = backing_server_up(p, true, &window, &err))) {
		sys_handle_close((uint64_t)notif);
		return err;
	}
	s->notif = (uint64_t)notif;
	s->timeout = ms * TICKS_PER_MS;
	if ((h = sys_handle_grant(p->task, (uint64_t)notif, 0, RIGHT_RECV)) < 0) {
		backing_server_gone(s);	/* closes notif */
		return h;
	}
	m->w[1] = (uint64_t)h;
	m->w[2] = window;
	return 0;
}

static int64_t mo_create(struct bsrv *s, struct ipc_msg *m)
{
	uint64_t size = m->w[0], pages = (size + PAGE_MASK) >> PAGE_SHIFT;
	struct file_obj *fo;

	if (!size || size > (uint64_t)MO_PAGES_MAX << PAGE_SHIFT)
		return -ERR_INVAL;
	if (s->nobjs >= MO_OBJS_MAX || s->pages + pages > MO_PAGES_MAX || !s->next_key)
		return -ERR_NOSPC;
	if (!(fo = file_create(s, s->next_key, size)))
		return -ERR_NOMEM;
	s->next_key++;	/* keys are never reused: a stale one names nothing */
	s->nobjs++;
	s->pages += pages;
	fo->held = true;
	fo->announced = true;	/* BACKING_RELEASE when it ends */
	fo->secret = token_next();
	m->w[1] = fo->secret;
	return fo->key;
}

/* Anyone: map the object named by w0 (server pid | key << 32) whose
 * token is w1. One error for every wrong name: nothing is learned. */
static int64_t mo_map(struct proc *p, struct ipc_msg *m)
{
	const uint64_t known = PMAP_SHARED | PMAP_PRIVATE | PMAP_FIXED | PMAP_POPULATE |
			       PMAP_FIXED_NOREPLACE;
	uint64_t pid = m->w[0] & 0xffffffffu, key = m->w[0] >> 32, len = m->w[3];
	uint64_t prot = m->w[4] & 0xffffffffu, flags = m->w[4] >> 32, off = m->w[5], kind, pages;
	struct proc *sp = pid ? proc_get(pid) : NULL;
	struct bsrv *s = sp && sp->state == PROC_LIVE ? backing_server_of(sp) : NULL;
	struct file_obj *fo = s && s->external && key ? file_lookup(s, (uint32_t)key) : NULL;
	struct memobj *o;

	if (!fo || !fo->held || fo->secret != m->w[1])	/* closed: no new mappings */
		return -ERR_NOENT;
	kind = flags & (PMAP_SHARED | PMAP_PRIVATE);
	if ((off & PAGE_MASK) || !len || (flags & ~known) ||
	    (kind != PMAP_SHARED && kind != PMAP_PRIVATE) || (prot & ~(uint64_t)(MAP_R | MAP_W | MAP_X)))
		return -ERR_INVAL;
	if (len > USER_TOP)
		return -ERR_NOMEM;
	pages = (len + PAGE_MASK) >> PAGE_SHIFT;
	if (off >> PAGE_SHIFT > PAGEMAP_MAX_INDEX - pages)
		return -ERR_INVAL;
	if (kind == PMAP_SHARED) {
		o = &fo->obj;
		memobj_ref(o);
	} else if (!(o = fpriv_create(fo))) {
		return -ERR_NOMEM;
	}
	return mm_map_object(p, m->w[2], len, prot, flags, o, off >> PAGE_SHIFT,
			     VMA_FILE | (kind == PMAP_SHARED ? VMA_SHARED : 0));
}

/* The server's own object named by w0 and the range [w1, w1 + w2),
 * checked: at most `max` pages (0: any), within the object. */
static struct file_obj *own_range(struct bsrv *s, const struct ipc_msg *m, uint64_t max,
				  int64_t *err)
{
	struct file_obj *fo = m->w[0] && m->w[0] <= UINT32_MAX ?
			      file_lookup(s, (uint32_t)m->w[0]) : NULL;

	*err = -ERR_NOENT;
	if (!fo)
		return NULL;
	*err = -ERR_INVAL;
	if (!m->w[2] || (max && m->w[2] > max) || m->w[1] >= file_pages(fo) ||
	    m->w[2] > file_pages(fo) - m->w[1])
		return NULL;
	return fo;
}

static int64_t mo_protect(struct file_obj *fo, uint64_t lo, uint64_t hi)
{
	rmap_protect(fo, lo, hi);
	for (uint64_t i = lo; i < hi; i++) {
		struct fpage *fp = fpage_get(fo, i);
		if (!fp)
			return -ERR_NOMEM;	/* those before are watched */
		if (!(fp->flags & FP_WATCH)) {
			fp->flags |= FP_WATCH;
			fo->nwatch++;
		}
	}
	return 0;
}

/* The frame of the server's private anonymous page at va, if it may be
 * moved (its own, not shared with a fork, not the zero page), or
 * PAGEMAP_NONE; its VMA in *vp. */
static uint64_t own_frame(struct proc *p, uint64_t va, struct vma **vp)
{
	struct vma *v = vma_find(&p->vmas, va);
	uint64_t idx, pfn;

	if (!v || (v->flags & (VMA_FILE | VMA_SHARED | VMA_WINDOW | VMA_IPCBUF | VMA_IMAGE)) ||
	    strcmp(v->obj->ops->kind, "anon") || v->obj->refs != 1)
		return PAGEMAP_NONE;
	idx = vma_index(v, va);
	pfn = pagemap_get(&v->obj->pages, idx);
	if (pfn == PAGEMAP_NONE || page_refcount(pfn) != 1 ||
	    !pagemap_path_private(&v->obj->pages, idx))
		return PAGEMAP_NONE;
	*vp = v;
	return pfn;
}

/*
 * PAGER_MO_SUPPLY: the server's own pages [w3, w3 + w2 pages) move into
 * the object at pages [w1, w1 + w2): no copy. All or nothing: every
 * source must be a present private anonymous page of the server's own,
 * every target absent and not being filled. The server's pages read as
 * zeros afterwards (a fresh page at the next touch).
 */
static int64_t mo_supply(struct bsrv *s, struct file_obj *fo, struct ipc_msg *m)
{
	uint64_t first = m->w[1], n = m->w[2], src = m->w[3];
	struct proc *p = s->proc;
	struct vma *v;

	if ((src & (PAGE_SIZE - 1)) || src >= USER_TOP || n > (USER_TOP - src) >> PAGE_SHIFT)
		return -ERR_INVAL;
	if (backing_busy(fo, first, n))
		return -ERR_EXIST;
	for (uint64_t k = 0; k < n; k++) {
		if (pagemap_get(&fo->obj.pages, first + k) != PAGEMAP_NONE)
			return -ERR_EXIST;
		if (own_frame(p, src + (k << PAGE_SHIFT), &v) == PAGEMAP_NONE)
			return -ERR_FAULT;
	}
	for (uint64_t k = 0; k < n; k++) {
		uint64_t va = src + (k << PAGE_SHIFT), pfn = own_frame(p, va, &v);
		page_ref(pfn);	/* ours now: the object takes this reference */
		pagemap_set(&v->obj->pages, vma_index(v, va), PAGEMAP_NONE);
		sys_unmap(p->task, va, 1);	/* and every mapping derived from it */
		if (pagemap_set(&fo->obj.pages, first + k, pfn) < 0) {
			page_unref(pfn);
			return -ERR_NOMEM;	/* those before moved */
		}
	}
	return 0;
}

static int64_t mo_dirty(struct file_obj *fo, struct ipc_msg *m)
{
	uint64_t mask = 0;

	for (uint64_t i = 0; i < m->w[2]; i++) {
		struct fpage *fp = fpage_find(fo, m->w[1] + i);
		if (fp && (fp->flags & FP_DIRTY))
			mask |= 1ul << i;
	}
	m->w[1] = mask;
	return 0;
}

bool extobj_request(struct proc *p, struct ipc_msg *m, int64_t *r, uint64_t *out_len)
{
	uint64_t label = ipc_label(m->info);
	struct bsrv *s;
	struct file_obj *fo;

	*out_len = 0;
	if (label == PAGER_MO_SERVE) {
		*r = mo_serve(p, m);
		return false;
	}
	if (label == PAGER_MO_MAP) {
		*r = mo_map(p, m);
		return false;
	}
	if (!(s = backing_server_of(p)) || !s->external) {
		*r = -ERR_PERM;
		return false;
	}
	switch (label) {
	case PAGER_MO_CREATE:
		*r = mo_create(s, m);
		break;
	case PAGER_MO_WAIT:
		return backing_wait(s, m, r);
	case PAGER_MO_INVALIDATE:
		if (m->w[3] & ~(uint64_t)MO_INVAL_CLEAN) {
			*r = -ERR_INVAL;
		} else if ((fo = own_range(s, m, 0, r))) {
			if (m->w[3])	/* dirty and pinned pages stay */
				file_drop_clean(fo, m->w[1], m->w[1] + m->w[2]);
			else
				file_invalidate(fo, m->w[1], m->w[1] + m->w[2]);
			*r = 0;
		}
		break;
	case PAGER_MO_PROTECT:
		if ((fo = own_range(s, m, 0, r)))
			*r = mo_protect(fo, m->w[1], m->w[1] + m->w[2]);
		break;
	case PAGER_MO_SUPPLY:
		if ((fo = own_range(s, m, BACKING_FILL_MAX, r)))
			*r = mo_supply(s, fo, m);
		break;
	case PAGER_MO_DIRTY:
		if ((fo = own_range(s, m, 64, r)))
			*r = mo_dirty(fo, m);
		break;
	case PAGER_MO_CLOSE:
		*r = -ERR_NOENT;
		if (m->w[0] && m->w[0] <= UINT32_MAX && (fo = file_lookup(s, (uint32_t)m->w[0])) &&
		    fo->held) {
			fo->held = false;
			file_maybe_free(fo);
			*r = 0;
		}
		break;
	default:
		*r = -ERR_NOSYS;
	}
	return false;
}
