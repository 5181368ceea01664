/*
 * Handle tables: per task, an array of {object, rights, badge}. A handle is
 * the index; 0 is never valid. Handles are the only way a task names a
 * kernel object, so every syscall starts with handle_get.
 */
#include "abi/kernel.h"
#include "kmem.h"
#include "lib.h"
#include "object.h"

int handle_table_init(struct task *t, uint32_t nhandles, void *pages)
{
	if (!pages) {
		pages = kpage_alloc_q(t->as.kq);
		if (!pages)
			return -ERR_NOMEM;
		nhandles = HANDLES_PER_PAGE;
	}
	t->handles = pages;
	t->nhandles = nhandles;
	return 0;
}

struct kobj *handle_get(struct task *t, uint64_t h, uint32_t type,
			uint64_t rights, uint64_t *badge, int *err)
{
	struct handle *e;

	if (unlikely(h == 0 || h >= t->nhandles))
		goto bad;
	e = &t->handles[h];
	if (unlikely(!e->obj || e->obj->type != type))
		goto bad;
	if (unlikely((e->rights & rights) != rights)) {
		*err = -ERR_PERM;
		return NULL;
	}
	if (badge)
		*badge = e->badge;
	return e->obj;
bad:
	*err = -ERR_BADF;
	return NULL;
}

int handle_install(struct task *t, struct kobj *obj, uint64_t rights, uint64_t badge)
{
	if (t->dead)	/* its teardown may have passed this slot already */
		return -ERR_SRCH;
	for (uint32_t h = 1; h < t->nhandles; h++) {
		struct handle *e = &t->handles[h];
		if (e->obj)
			continue;
		e->obj = obj;
		e->rights = rights;
		e->badge = badge;
		kobj_ref(obj);
		return (int)h;
	}
	return -ERR_NOSPC;
}

int handle_close(struct task *t, uint64_t h)
{
	struct kobj *obj;

	if (h == 0 || h >= t->nhandles || !t->handles[h].obj)
		return -ERR_BADF;
	obj = t->handles[h].obj;
	t->handles[h].obj = NULL;
	kobj_unref(obj);
	return 0;
}

void kobj_ref(struct kobj *o)
{
	o->refs++;
}

/* Freeing an object never frees a task's contents on the spot: a task
 * goes to the dying list (task_free), so this never recurses deeply. */
void kobj_unref(struct kobj *o)
{
	KASSERT(o->refs > 0);
	if (--o->refs)
		return;
	switch (o->type) {
	case KOBJ_TASK:
		task_free((struct task *)o);
		break;
	case KOBJ_THREAD:
		thread_free(container_of(o, struct thread, hdr));
		break;
	case KOBJ_ENDPOINT:
		endpoint_free((struct endpoint *)o);
		break;
	case KOBJ_NOTIF:
		notif_free((struct notif *)o);
		break;
	case KOBJ_REPLY:
		reply_free((struct reply *)o);
		break;
	default:
		break;	/* the devctl object is static */
	}
}

/* Install into slot h exactly (an IPC grant's receive slot): h, or
 * -ERR_NOSPC when no slot is named, -ERR_EXIST when it is taken. */
int handle_install_at(struct task *t, uint64_t h, struct kobj *obj, uint64_t rights,
		      uint64_t badge)
{
	struct handle *e;

	if (h == 0 || h >= t->nhandles)
		return -ERR_NOSPC;
	e = &t->handles[h];
	if (e->obj)
		return -ERR_EXIST;
	e->obj = obj;
	e->rights = rights;
	e->badge = badge;
	kobj_ref(obj);
	return (int)h;
}
