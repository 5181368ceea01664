/*
 * Shadow tasks (shadow.h): map every page of the program image into a new
 * task at the same address, and start threads there through a trampoline
 * that sets the global and thread pointers as crt0 does.
 */
#include "shadow.h"
#include "libsys.h"

extern char end[];	/* the end of the image (user.ld) */

void shadow_entry(void);
__asm__(".pushsection .text\n"
	".globl shadow_entry\n"
	"shadow_entry:\n"
	"	.option push\n"
	"	.option norelax\n"
	"	lla	gp, __global_pointer$\n"
	"	.option pop\n"
	"	lla	tp, __tls_base\n"
	"	ld	a0, 0(sp)\n"
	"	ld	a1, 8(sp)\n"
	"	call	shadow_main\n"
	"1:	j	1b\n"
	".popsection\n");

void shadow_main(void (*fn)(uint64_t), uint64_t arg);
void shadow_main(void (*fn)(uint64_t), uint64_t arg)
{
	fn(arg);
	sys_thread_exit();
}

/* Make the page present in our own space with the rights we will give. */
static void touch(uint64_t va, uint32_t prot)
{
	volatile char *p = (volatile char *)va;

	if (prot & MAP_W)
		*p = *p;
	else
		(void)*p;
}

int64_t shadow_task_create(void)
{
	struct pager_vma_info v[16];
	uint64_t from = 0, next;
	int64_t task = sys_task_create(), n, r;

	if (task < 0)
		return task;
	do {
		n = vma_list(0, from, v, 16, &next);
		if (n < 0)
			goto fail;
		for (int64_t i = 0; i < n && v[i].start < (uint64_t)end; i++) {
			for (uint64_t va = v[i].start; va < v[i].end && va < (uint64_t)end; va += PAGE_SIZE) {
				if (!v[i].prot)
					break;
				touch(va, v[i].prot);
				r = sys_map((uint64_t)task, va, va, v[i].prot);
				if (r < 0) {
					n = r;
					goto fail;
				}
			}
		}
		from = next;
	} while (next && next < (uint64_t)end);
	return task;
fail:
	sys_task_destroy((uint64_t)task);
	sys_handle_close((uint64_t)task);
	return n;
}

int64_t shadow_thread(uint64_t task, void (*fn)(uint64_t), uint64_t arg, void *stack,
		      uint64_t stack_size, uint64_t pager, uint64_t badge)
{
	uint64_t *sp = (uint64_t *)(((uint64_t)stack + stack_size) & ~15ul) - 2;

	sp[0] = (uint64_t)fn;
	sp[1] = arg;
	return sys_thread_create(task, (uint64_t)shadow_entry, (uint64_t)sp, 0, pager, badge);
}
