/*
 * Bad syscall arguments: invalid handles, handles of the wrong type or
 * without the right, kernel and unmapped pointers, misaligned addresses and
 * unknown calls each return their error code, and the system goes on.
 */
#include <string.h>
#include <sys/wait.h>
#include "libsys.h"
#include "t.h"

#define KERNEL_PTR 0xffffffc080200000ul
#define UNMAPPED_PTR 0x1000ul	/* page 1: never in a VMA */

int main(void)
{
	struct ipc_msg m = { 0 };
	struct task_info ti;
	struct kernel_info ki;
	int64_t ep = sys_endpoint_create(), notif = sys_notif_create();
	uint64_t pager = libsys_start_info.pager;
	int status;

	CHECK(ep > 0 && notif > 0);
	/* Handles that do not exist. */
	CHECK_EQ(sys_handle_close(0), -ERR_BADF);
	CHECK_EQ(sys_handle_close(9999), -ERR_BADF);
	CHECK_EQ(sys_handle_close((uint64_t)-1), -ERR_BADF);
	CHECK_EQ(ipc_call(4242, &m), -ERR_BADF);
	CHECK_EQ(sys_notify(4242), -ERR_BADF);
	CHECK_EQ(sys_map(4242, 0, 0, MAP_R), -ERR_BADF);
	CHECK_EQ(sys_thread_create(4242, 0x10000, 0, 0, 0, 0), -ERR_BADF);
	/* Handles of the wrong type. */
	CHECK_EQ(ipc_call((uint64_t)notif, &m), -ERR_BADF);
	CHECK_EQ(sys_wait((uint64_t)ep), -ERR_BADF);
	CHECK_EQ(sys_task_info((uint64_t)ep, &ti), -ERR_BADF);
	CHECK_EQ(sys_irq_bind((uint64_t)ep, (uint64_t)notif), -ERR_BADF);
	CHECK_EQ(sys_irq_ack((uint64_t)notif), -ERR_BADF);
	CHECK_EQ(sys_device_info((uint64_t)ep, NULL), -ERR_BADF);
	CHECK_EQ(sys_shutdown((uint64_t)ep, 1), -ERR_BADF);
	CHECK_EQ(sys_map_device((uint64_t)ep, 0, 0x10000000, 0x40000000, MAP_R), -ERR_BADF);
	/* A handle without the right: our pager handle may send, not receive. */
	CHECK_EQ(ipc_recv(pager, &m), -ERR_PERM);
	CHECK_EQ(sys_handle_grant(0, pager, 0, RIGHTS_ALL), -ERR_PERM);
	/* Kernel, unmapped and null pointers. */
	CHECK_EQ(sys_debug_write((void *)KERNEL_PTR, 16), -ERR_FAULT);
	CHECK_EQ(sys_debug_write((void *)UNMAPPED_PTR, 16), -ERR_FAULT);
	CHECK_EQ(sys_debug_write(NULL, 1), -ERR_FAULT);
	CHECK_EQ(sys_debug_write((void *)(USER_TOP - 8), 16), -ERR_FAULT);
	CHECK_EQ(sys_debug_write((void *)~0ul, 2), -ERR_FAULT);
	CHECK_EQ(sys_kernel_info((struct kernel_info *)KERNEL_PTR), -ERR_FAULT);
	CHECK_EQ(sys_kernel_info((struct kernel_info *)UNMAPPED_PTR), -ERR_FAULT);
	CHECK_EQ(sys_kernel_info((struct kernel_info *)0x10000), -ERR_FAULT);	/* text: read-only */
	/* Misaligned and out-of-range addresses, bad rights. */
	CHECK_EQ(sys_ipcbuf_set(0x1001), -ERR_INVAL);
	CHECK_EQ(sys_ipcbuf_set(KERNEL_PTR), -ERR_INVAL);
	uint64_t dev = libsys_start_info.ndevices ? libsys_start_info.devices[0].device : 4242;
	CHECK_EQ(sys_map_device(dev, 0, 0x10000001, 0x40000000, MAP_R),
		 libsys_start_info.ndevices ? -ERR_INVAL : -ERR_BADF);
	CHECK_EQ(sys_map_device(libsys_start_info.devctl, 0, 0x10001000, 0x40000000, MAP_R),
		 -ERR_BADF);	/* the power handle maps nothing */
	CHECK_EQ(sys_device_info(dev, (struct device_info *)KERNEL_PTR),
		 libsys_start_info.ndevices ? -ERR_FAULT : -ERR_BADF);
	/* Messages: a payload past the buffer size. */
	m.info = ipc_info(PAGER_GETPID, 5000, 0);
	CHECK_EQ(ipc_call(pager, &m), -ERR_INVAL);
	/* Unknown syscalls. */
	CHECK_EQ(syscall0(SYS_COUNT), -ERR_NOSYS);
	CHECK_EQ(syscall0(1000000), -ERR_NOSYS);
	CHECK_EQ(syscall0((uint64_t)-1), -ERR_NOSYS);
	/* An unknown pager request gets an error reply. */
	m.info = ipc_info(999, 0, 0);
	CHECK_EQ(pager_call(&m), -ERR_NOSYS);
	/* Spawn of nothing, and of something that is not a program. */
	const char *none[] = { "no-such-program", NULL };
	CHECK_EQ(spawn(none, 0), -ERR_NOENT);
	CHECK_EQ(waitpid(12345, &status, 0), -1);

	/* ... and the system goes on: a child runs and exits normally. */
	const char *child[] = { "test_child", "exit", "7", NULL };
	int64_t pid = spawn(child, 0);
	CHECK(pid > 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	CHECK_EQ(sys_kernel_info(&ki), 0);
	CHECK_EQ(sys_handle_close((uint64_t)ep), 0);
	CHECK_EQ(sys_handle_close((uint64_t)ep), -ERR_BADF);
	return t_done("badargs");
}
