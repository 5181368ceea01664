/*
 * Processes: spawn from the boot image, end, wait. The pager creates each
 * process's task and thread and gives it one badged handle to the pager
 * endpoint; everything the process later asks for arrives through that.
 */
#include <stdio.h>
#include <string.h>
#include "abi/pager.h"
#include "backing.h"
#include "cpio.h"
#include "dma.h"
#include "elf_image.h"
#include "libsys.h"
#include "page.h"
#include "pager.h"
#include "proc.h"
#include "forward.h"
#include "delegate.h"
#include "kquota.h"

static struct proc procs[MAX_PROCS];
static int64_t next_pid = 1;
static int procs_used;	/* slots not PROC_FREE */

int proc_count(void)
{
	return procs_used;
}

/* Every change of a slot to PROC_FREE goes through here. */
static void slot_free(struct proc *p)
{
	p->state = PROC_FREE;
	procs_used--;
}

#define MAX_ARGS	PROC_SPAWN_ARGC_MAX

void proc_init(void)
{
	for (int i = 0; i < MAX_PROCS; i++)
		procs[i].state = PROC_FREE;
}

struct proc *proc_at(int i)
{
	return &procs[i];
}

struct proc *proc_get(uint64_t pid)
{
	struct proc *p = &procs[pid % MAX_PROCS];

	return (p->state != PROC_FREE && (uint64_t)p->pid == pid) ? p : NULL;
}

/* Like RLIMIT_AS's default (infinity): all of user space. Memory is
 * guarded by the resident limit and the out-of-memory killer instead. */
uint64_t proc_default_limit(void)
{
	return USER_TOP >> PAGE_SHIFT;
}

/*
 * Whether a new child of parent would take parent, or any of its
 * ancestors below init, past its NPROC limit: the live and unreaped
 * processes under it, at any depth (a child's children count too, or a
 * tree of forks, each within its own limit, would fill the table; and
 * orphans, so that a child's end frees no slot: the climb is by nproc_up,
 * not ppid). One pass over the table: each process climbs to the nearest of parent's
 * ancestors (marked), and is under that one and every one above it.
 * O(processes x depth), only when the table holds enough processes to
 * reach the smallest limit on the chain.
 */
static bool nproc_reached(struct proc *parent)
{
	static struct proc *chain[MAX_PROCS];
	static uint32_t under[MAX_PROCS];
	static uint32_t epoch;
	uint64_t least = UINT64_MAX, sum = 0;
	int n = 0;

	for (struct proc *a = parent; a && a->pid != 1 && n < MAX_PROCS;
	     a = a->nproc_up ? proc_get((uint64_t)a->nproc_up) : NULL) {
		chain[n] = a;
		under[n] = 0;
		a->nproc_idx = (uint32_t)n++;
		if (a->nproc_limit < least)
			least = a->nproc_limit;
	}
	if ((uint64_t)procs_used < least)	/* cheap: the common case */
		return false;
	if (++epoch == 0)
		epoch = 1;
	for (int i = 0; i < n; i++)
		chain[i]->nproc_mark = epoch;
	for (int i = 0; i < MAX_PROCS; i++) {
		struct proc *q = &procs[i];
		for (int depth = 0; q->state != PROC_FREE && q->nproc_up && depth < MAX_PROCS; depth++) {
			struct proc *up = proc_get((uint64_t)q->nproc_up);
			if (!up)
				break;
			if (up->nproc_mark == epoch) {
				under[up->nproc_idx]++;
				break;
			}
			q = up;
		}
	}
	for (int i = 0; i < n; i++) {	/* chain[i] is under chain[i + 1] */
		sum += under[i];
		if (sum >= chain[i]->nproc_limit)
			return true;
	}
	return false;
}

struct proc *proc_alloc(struct proc *parent)
{
	if (parent && parent->pid != 1 && procs_used >= MAX_PROCS - PROC_RESERVED_SLOTS)
		return NULL;
	if (parent && nproc_reached(parent))
		return NULL;
	for (int tries = 0; tries < MAX_PROCS; tries++, next_pid++) {
		struct proc *p = &procs[next_pid % MAX_PROCS];
		if (p->state != PROC_FREE || fsconn_slot_held((int)(next_pid % MAX_PROCS)))
			continue;
		memset(p, 0, sizeof(*p));
		p->pid = next_pid++;
		p->state = PROC_LIVE;
		procs_used++;
		vma_set_init(&p->vmas);
		signal_inherit(p, parent);	/* fork keeps it; spawn: signal_exec */
		p->nproc_up = parent ? parent->pid : 0;
		if (parent) {	/* limits are inherited, as rlimits are */
			p->limit_pages = parent->limit_pages;
			p->limit_pages_max = parent->limit_pages_max;
			p->rss_limit = parent->rss_limit;
			p->nproc_limit = parent->pid == 1 ? PROC_NPROC_DEFAULT : parent->nproc_limit;
			p->vmas.max_count = parent->vmas.max_count;
		} else {	/* init */
			p->limit_pages = p->limit_pages_max = proc_default_limit();
			p->rss_limit = page_total_count();
			p->nproc_limit = MAX_PROCS;
			p->oom_protected = true;
			p->dma_ok = true;
		}
		return p;
	}
	return NULL;
}

/* An anonymous VMA [start, end) whose object page index at start is
 * `index`; *out (if asked) is its object. */
static int add_region(struct proc *p, uint64_t start, uint64_t end, uint32_t prot,
		      uint32_t flags, uint64_t index, struct memobj **out)
{
	struct memobj *o = anon_create();
	int err;

	if (!o)
		return -ERR_NOMEM;
	if (!vma_add(&p->vmas, start, end, prot, flags, o, index, &err)) {
		memobj_unref(o);
		return err;
	}
	if (out)
		*out = o;
	return 0;
}

/* A zeroed frame placed at page `index` of o; its address for filling. */
static void *preload_page(struct memobj *o, uint64_t index)
{
	int64_t pfn = page_alloc_zeroed();

	if (pfn < 0)
		return NULL;
	if (anon_insert(o, index, (uint64_t)pfn) < 0) {
		page_unref((uint64_t)pfn);
		return NULL;
	}
	return page_va((uint64_t)pfn);
}

static int load_image(struct proc *p, const struct cpio_file *f, uint64_t *entry, uint64_t *brk)
{
	struct elf_image img;
	int err = elf_parse(f->data, f->size, &img);

	if (err < 0)
		return err;
	*brk = 0;
	for (uint32_t i = 0; i < img.nsegments; i++) {
		const struct elf_segment *s = &img.seg[i];
		uint64_t start = s->vaddr & ~(PAGE_SIZE - 1);
		uint64_t end = (s->vaddr + s->memsz + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		struct memobj *o = NULL;
		if ((err = add_region(p, start, end, s->prot, VMA_IMAGE, 0, &o)) < 0)
			return err;
		/* Pages with file bytes are filled now; the rest (.bss) are
		 * demand-zero like any anonymous memory. */
		for (uint64_t va = start; va < s->vaddr + s->filesz; va += PAGE_SIZE) {
			uint8_t *page = preload_page(o, (va - start) >> PAGE_SHIFT);
			if (!page)
				return -ERR_NOMEM;
			err = elf_copy_page(f->data, s, va, page);
			if (err < 0)
				return err;
		}
		if (end > *brk)
			*brk = end;
	}
	*entry = img.entry;
	return 0;
}

/* Split args into argv; the number of strings or -ERR_INVAL. */
static int split_args(const char *args, uint64_t len, const char *argv[MAX_ARGS])
{
	int argc = 0;

	if (len == 0 || len > PROC_SPAWN_ARGS_MAX || args[len - 1] != '\0')
		return -ERR_INVAL;
	for (uint64_t off = 0; off < len; off += strlen(args + off) + 1) {
		if (argc == MAX_ARGS)
			return -ERR_INVAL;
		argv[argc++] = args + off;
	}
	return argv[0][0] ? argc : -ERR_INVAL;
}

/* Build the initial stack page: strings, argv, proc_start. Returns sp. */
static uint64_t build_stack(uint8_t *page, int argc, const char *const argv[],
			    const struct proc_start *ps0, uint64_t *ps_va)
{
	uint64_t base = PROC_STACK_TOP - PAGE_SIZE, off = PAGE_SIZE;
	uint64_t argv_va[MAX_ARGS + 1];
	struct proc_start ps = *ps0;

	for (int i = argc - 1; i >= 0; i--) {
		uint64_t n = strlen(argv[i]) + 1;
		off -= n;
		memcpy(page + off, argv[i], n);
		argv_va[i] = base + off;
	}
	argv_va[argc] = 0;
	off &= ~15ul;
	off -= (uint64_t)(argc + 1) * 8;
	off &= ~15ul;
	memcpy(page + off, argv_va, (uint64_t)(argc + 1) * 8);
	ps.argc = (uint64_t)argc;
	ps.argv = (char **)(base + off);
	off -= sizeof(ps);
	off &= ~15ul;
	memcpy(page + off, &ps, sizeof(ps));
	*ps_va = base + off;
	return base + off;
}

/* The boot image's or a read file's ELF (a struct cpio_file), copied in. */
static int load_cpio(struct proc *p, void *src, uint64_t *entry, uint64_t *brk)
{
	return load_image(p, src, entry, brk);
}

/*
 * Give p (no task yet, no VMAs) a new image: task, kernel quota, the
 * program's VMAs (load), heap, stack, IPC buffer, its handles, and a
 * thread at the entry with argv on the stack. init (is_init) gets its
 * quota and the devices. On failure p holds whatever was made (the
 * caller discards or ends it).
 */
static int64_t image_build(struct proc *p, bool is_init, int argc, const char *argv[],
			   uint64_t grant, proc_loader load, void *src)
{
	struct proc_start ps = { .pid = (uint64_t)p->pid, .ipcbuf = PROC_IPCBUF_VA };
	uint64_t entry, brk, ps_va, sp;
	struct memobj *stack = NULL, *ipc = NULL;
	int64_t r, pfn;
	uint8_t *top;

	if ((r = sys_task_create()) < 0)
		return r;
	p->task = (uint64_t)r;
	/* init may learn physical addresses (kernel/dma.c), as it may
	 * allocate DMA memory: it holds the devices. */
	if (p->dma_ok && (r = sys_task_dma(p->task)) < 0)
		return r;
	if ((r = kquota_give(p->task, is_init ? kquota_init_pages() : kquota_proc_pages())) < 0)
		return r;
	if ((r = load(p, src, &entry, &brk)) < 0)
		return r;
	/* The heap starts empty at the break; the stack starts small, its
	 * object indexed from the lowest address it may grow to. */
	p->brk_start = p->brk = brk;
	if ((r = add_region(p, PROC_STACK_TOP - PROC_STACK_INITIAL, PROC_STACK_TOP,
			    MAP_R | MAP_W, VMA_STACK,
			    (PROC_STACK_MAX - PROC_STACK_INITIAL) >> PAGE_SHIFT, &stack)) < 0 ||
	    (r = add_region(p, PROC_IPCBUF_VA, PROC_IPCBUF_VA + PAGE_SIZE,
			    MAP_R | MAP_W, VMA_IPCBUF, 0, &ipc)) < 0)
		return r;
	/* The IPC buffer is mapped now: the kernel copies into it directly. */
	if (!preload_page(ipc, 0))
		return -ERR_NOMEM;
	pfn = (int64_t)pagemap_get(&ipc->pages, 0);
	if ((r = sys_map(p->task, (uint64_t)page_va((uint64_t)pfn), PROC_IPCBUF_VA, MAP_R | MAP_W)) < 0)
		return r;

	if ((r = sys_handle_grant(p->task, pager_ep, (uint64_t)p->pid, RIGHT_SEND)) < 0)
		return r;
	ps.pager = p->pager_handle = (uint64_t)r;
	if (grant) {
		if ((r = sys_handle_grant(p->task, grant, 0, RIGHTS_ALL)) < 0)
			return r;
		ps.granted = (uint64_t)r;
	}
	if (is_init) {	/* init: the trusted first program gets the devices */
		if ((r = sys_handle_grant(p->task, H_POWER, 0, RIGHTS_ALL)) < 0)
			return r;
		ps.devctl = (uint64_t)r;
		if ((r = devices_grant(p->task, &ps)) < 0)
			return r;
	}
	top = preload_page(stack, (PROC_STACK_MAX - PAGE_SIZE) >> PAGE_SHIFT);
	if (!top)
		return -ERR_NOMEM;
	sp = build_stack(top, argc, argv, &ps, &ps_va);
	if ((r = sys_thread_create(p->task, entry, sp, ps_va, forward_new_thread_pager(p),
				   PAGER_FAULT_BADGE(p->pid))) < 0)
		return r;
	p->thread = (uint64_t)r;
	snprintf(p->name, sizeof(p->name), "%s", argv[0]);
	signal_exec(p);	/* a new program: caught signals back to the default */
	return p->pid;
}

int64_t proc_spawn(struct proc *parent, const char *args, uint64_t len, uint64_t grant)
{
	return proc_spawn_image(parent, args, len, grant, NULL);
}

int64_t proc_spawn_image(struct proc *parent, const char *args, uint64_t len, uint64_t grant,
			 const struct cpio_file *image)
{
	const char *argv[MAX_ARGS];
	int argc = split_args(args, len, argv);
	struct cpio_file f;

	if (argc < 0)
		return argc;
	if (image)	/* an ELF file the parent read (spawn_image.c) */
		f = *image;
	else if (cpio_find(initrd, boot->initrd_size, argv[0], &f) < 0)
		return -ERR_NOENT;
	return proc_spawn_with(parent, args, len, grant, load_cpio, &f);
}

int64_t proc_spawn_with(struct proc *parent, const char *args, uint64_t len, uint64_t grant,
			proc_loader load, void *src)
{
	const char *argv[MAX_ARGS];
	int argc = split_args(args, len, argv);
	struct proc *p;
	int64_t r;

	if (argc < 0)
		return argc;
	if (!(p = proc_alloc(parent)))
		return -ERR_AGAIN;
	r = image_build(p, !parent, argc, argv, grant, load, src);
	if (r < 0) {
		proc_discard(p);
		return r;
	}
	p->ppid = parent ? parent->pid : 0;
	return r;
}

/*
 * The point of no return of exec: everything the old image had goes
 * (tables, thread, handles, VMAs, a suspended fault or msync), as at
 * the end of a process, but the pid, parent, limits, signal mask and
 * pending signals stay. Then the new image is built in p. A failure now
 * (out of memory) can only end p. Returns the pid, or <0 if p ended.
 */
int64_t proc_exec(struct proc *p, const char *args, uint64_t len, proc_loader load, void *src,
		  bool *gone)
{
	const char *argv[MAX_ARGS];
	int argc = split_args(args, len, argv);
	int64_t r;

	*gone = false;
	if (argc < 0)
		return argc;
	*gone = true;
	/* The old thread dies to us, not to a holder (a per-task child's):
	 * the holder's loop takes a death for the child's end. */
	if (p->fwd_ep)
		sys_thread_set_pager(p->thread, pager_ep, PAGER_FAULT_BADGE(p->pid));
	sys_task_destroy(p->task);
	p->exec_deaths++;	/* its thread's death message comes later */
	backing_proc_ended(p);
	/* A delegate: the faults it was handed went with its handles, and a
	 * fetch of the old image's must not answer the new one's calls. */
	delegate_proc_gone(p);
	sys_handle_close(p->thread);
	sys_handle_close(p->task);
	p->task = p->thread = 0;
	vma_set_clear(&p->vmas);
	p->sig.suspended = false;
	p->sig.refetch = false;
	p->sig.refetches = 0;
	r = image_build(p, false, argc, argv, 0, load, src);
	if (r < 0) {
		pager_log("exec of %s in pid %ld failed (%ld): it ends\n", argv[0],
			  (long)p->pid, (long)r);
		proc_end(p, PAGER_SIGKILL);
	} else {
		forward_holder_gone(p);	/* the endpoint went with the old image */
	}
	return r;
}

void proc_discard(struct proc *p)
{
	reply_later_drop(p->thread);
	if (p->thread)
		sys_handle_close(p->thread);
	if (p->task) {
		sys_task_destroy(p->task);
		sys_handle_close(p->task);
	}
	vma_set_clear(&p->vmas);
	slot_free(p);
}

static void reply_wait(struct proc *parent, struct proc *child)
{
	struct ipc_msg m = { .info = 0, .w = { (uint64_t)child->pid, (uint64_t)child->status } };

	parent->waiting = false;
	slot_free(child);
	ipc_reply(parent->thread, &m);
}

void proc_end(struct proc *p, int status)
{
	struct proc *parent = p->ppid ? proc_get((uint64_t)p->ppid) : NULL;

	/* Tables first, so no frame is still mapped when it is freed. */
	sys_task_destroy(p->task);
	backing_proc_ended(p);	/* a suspended fault or msync: its reply goes */
	sys_handle_close(p->thread);
	sys_handle_close(p->task);
	dma_proc_ended(p);	/* before its memory goes: a device may still write it */
	vma_set_clear(&p->vmas);
	p->status = status;
	p->state = PROC_ZOMBIE;
	p->sig.alarm_at = 0;
	fsconn_proc_ended(p);
	delegate_proc_gone(p);

	struct proc *init = p->pid != 1 ? proc_get(1) : NULL;
	for (int i = 0; i < MAX_PROCS; i++) {	/* orphans: to init, or reaped */
		struct proc *c = &procs[i];
		if (c->state != PROC_FREE && c->nproc_up == p->pid)
			c->nproc_up = p->nproc_up;	/* still under p's ancestors */
		if (c->state == PROC_FREE || c->ppid != p->pid)
			continue;
		c->ppid = init ? 1 : 0;
		if (c->state != PROC_ZOMBIE)
			continue;
		if (!init)
			slot_free(c);
		else if (init->waiting && init->wait_pid == -1)
			reply_wait(init, c);
	}
	forward_proc_ended(p);	/* its per-task children: nobody serves them now */
	if (p->pid == 1) {
		pager_log("init exited with status %d; shutting down\n", status);
		fflush(stdout);
		sys_shutdown(H_DEVCTL, status != 0);
	}
	if (!parent || parent->state != PROC_LIVE) {
		slot_free(p);
		return;
	}
	int64_t pid = p->pid;
	int status_now = p->status;
	if (parent->waiting && (parent->wait_pid == -1 || parent->wait_pid == p->pid))
		reply_wait(parent, p);	/* p's slot is free now */
	signal_child_ended(parent, pid, status_now);
}

bool proc_is_descendant(const struct proc *p, const struct proc *ancestor)
{
	for (int depth = 0; p && depth < MAX_PROCS; depth++) {
		if (p == ancestor)
			return true;
		p = p->ppid ? proc_get((uint64_t)p->ppid) : NULL;
	}
	return false;
}

bool proc_wait(struct proc *p, int64_t pid, int options, int64_t *pid_out, int *status_out)
{
	bool any = false;

	for (int i = 0; i < MAX_PROCS; i++) {
		struct proc *c = &procs[i];
		if (c->state == PROC_FREE || c->ppid != p->pid || (pid != -1 && c->pid != pid))
			continue;
		any = true;
		if (c->state == PROC_ZOMBIE) {
			*pid_out = c->pid;
			*status_out = c->status;
			slot_free(c);
			return true;
		}
	}
	if (!any) {
		*pid_out = -ERR_CHILD;
		return true;
	}
	if (options & WAIT_NOHANG) {
		*pid_out = 0;
		return true;
	}
	p->waiting = true;
	p->wait_pid = pid;
	return false;
}
