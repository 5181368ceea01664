/*
 * The pager protocol: requests a process sends to its pager endpoint with
 * an IPC call, and the process start convention. The pager is the server;
 * libsys (libsys/src/process.c and friends) is the client.
 *
 * Every request: info label = PAGER_*, words as listed; the reply's w[0] is
 * the result, >= 0 on success or a negated ERR_* code. The badge the pager
 * sees names the calling process (the pager gives each process a handle
 * badged with its pid), so no request carries its own pid. The pager's own
 * threads fault with PAGER_FAULT_BADGE(pid); a fault with any other badge
 * comes from a thread some process made with its pager handle, and is
 * answered FAULT_REPLY_KILL.
 *
 *  label               request words / buffer        reply
 *  PAGER_EXIT          w0 status                      (none: the process ends)
 *  PAGER_SPAWN         buffer: argv as NUL-separated  w0 pid
 *                      strings, length = bytes;
 *                      grant flag: w5 a handle given
 *                      to the child (IPC_GRANT);
 *                      w0 PSPAWN_* flags
 *  PAGER_WAIT          w0 pid or -1, w1 WAIT_NOHANG   w0 pid (0: none yet), w1 status
 *  PAGER_GETPID        -                              w0 pid
 *  PAGER_KILL          w0 pid (the caller, one of its w0 0, -ERR_PERM for others,
 *                      descendants, or an ancestor but
 *                      init and protected servers),    -ERR_INVAL for a bad signal
 *                      w1 signal
 *                      (PSIG_*, abi/signal.h; 0 is
 *                      SIGKILL, the old form), w2
 *                      PKILL_PROBE: only check (kill(pid, 0))
 *  PAGER_PROC_STATS    w0 pid (0: the caller; else    w0 0, w1 virtual pages, w2 resident
 *                      the caller or a descendant)    pages, w3 page-table pages
 *  PAGER_MEMINFO       -                              w0 processes (live + zombie),
 *                                                     w1 free pages, w2 total pages,
 *                                                     w3 frames used by page-map nodes,
 *                                                     w4 heap bytes of flat page maps,
 *                                                     w5 page faults served (all processes)
 *  PAGER_ZEROPOOL      -                              w0 zeroed free frames now, w1
 *                                                     frames zeroed at idle ever, w2 idle
 *                                                     messages, w3 instructions the pager
 *                                                     spent in them, w4 least instructions
 *                                                     from a batch's end to the next idle
 *                                                     message (the kernel's round)
 *  PAGER_MMAP          w0 hint, w1 length, w2 prot,   w0 address
 *                      w3 flags (PMAP_*)
 *  PAGER_MUNMAP        w0 address, w1 length          w0 0
 *  PAGER_MPROTECT      w0 address, w1 length, w2 prot w0 0
 *  PAGER_MADVISE       w0 address, w1 length, w2 advice  w0 0
 *                      w3 the pc (PADV_EOF_RESUME)
 *  PAGER_MREMAP        w0 old address, w1 old length, w0 address
 *                      w2 new length, w3 PREMAP_* flags
 *  PAGER_BRK           w0 new break, 0 to ask         w0 the break now
 *  PAGER_FORK          w0 child pc, w1 child sp,      w0 child pid (the child starts at
 *                      w2 child a0                    pc with sp and a0, all else zero)
 *  PAGER_VMA_LIST      w0 list from this address,     w0 entries in the buffer
 *                      w1 pid (as PAGER_PROC_STATS)
 *                                                     (struct pager_vma_info), w1 the
 *                                                     address to continue from, 0 at end
 *  PAGER_CHECK         -                              w0 0, or -ERR_IO if the pager's
 *                                                     sanity check failed (it says why)
 *  PAGER_SET_LIMIT     w0 max mapped pages (0: the    w0 0
 *                      default)
 *  PAGER_DMA_ALLOC     w0 length in bytes (1 ..        w0 address, w1 physical address
 *                      PAGER_DMA_MAX_PAGES pages)      of its first byte: contiguous,
 *                      (PSPAWN_DMA processes only)     zeroed, mapped R/W now;
 *                                                      -ERR_PERM for others
 *  PAGER_SETRLIMIT     w0 pid (0: the caller; else a  w0 0, -ERR_PERM above the
 *                      descendant), w1 PRLIMIT_*,     caller's own limit
 *                      w2 value
 *  PAGER_GETRLIMIT     w0 pid (as above), w1 resource w0 the limit
 *  PAGER_FS_REGISTER   w0 0 (the process init named,  w0 0, w1 endpoint, w2 notification
 *                      once): become the file server;  (handles granted into the caller),
 *                      from init, w0 pid: name it      w3 the backing window's address
 *                                                      (BACKING_WINDOW_PAGES pages)
 *  PAGER_FS_CONNECT    -                               w0 handle to the file server,
 *                                                      badged FS_BADGE(pid, ppid)
 *  PAGER_FS_DEAD       - (the file server only)        w0 n, w1..w5 pids of processes
 *                                                      that ended, or FS_NOTE_* notes
 *                                                      (abi/fs.h); none is ever dropped
 *  PAGER_FS_ALIVE      w0 pid (the file server only)   w0 1 if the process lives (w1 its
 *                                                      parent's pid), else 0
 *  PAGER_SPAWN_IMAGE   as PAGER_SPAWN, plus w0 address w0 pid
 *                      and w1 length of the program's
 *                      ELF file in the caller's memory
 *                      (at most PAGER_IMAGE_MAX bytes)
 *  PAGER_MSYNC         w0 address, w1 length,          w0 0 (MS_SYNC: when the disk has
 *                      w2 PMS_* flags                  the range's dirty pages), -ERR_IO
 *
 * Signals (pager/signal.c, docs/signals.md; numbers and flags in
 * abi/signal.h). A handler runs on the process's stack from a frame the
 * pager writes; it returns through libsys's sigreturn point, an `ebreak`
 * the pager recognizes (a breakpoint at the registered address), not a
 * request: a reply would overwrite a0..a7.
 *  PAGER_SIGACTION     w0 signal | PSIGACT_SET to     w0 0, w1 old handler, w2 old
 *                      change (else only read), w1    flags, w3 old mask; -ERR_INVAL
 *                      handler (PSIG_DFL, PSIG_IGN or for SIGKILL, SIGSTOP, a bad
 *                      an address), w2 PSA_* flags,    number or unknown flags
 *                      w3 mask, w4 libsys's frame
 *                      entry, w5 its sigreturn point
 *  PAGER_SIGPROCMASK   w0 PSIG_BLOCK / UNBLOCK /       w0 0, w1 old mask
 *                      SETMASK / PSIG_QUERY, w1 set
 *  PAGER_SIGPENDING    -                               w0 0, w1 pending signals
 *  PAGER_SIGSUSPEND    w0 mask while waiting           w0 -ERR_INTR, once a handler
 *                                                      has run (deferred until then)
 *  PAGER_ALARM         w0 seconds (0 cancels)          w0 seconds left of the old one
 *  PAGER_SIGALTSTACK   w0 PSIGACT_SET to change (else  w0 0, w1 old base, w2 old
 *                      only read), w1 base, w2 size,   size, w3 old flags (PSS_*:
 *                      w3 PSS_DISABLE or 0, w4 the     ONSTACK if w4 is on it);
 *                      caller's sp                     -ERR_PERM changing it while
 *                                                      on it, -ERR_NOMEM under
 *                                                      PSIG_MINSTKSZ, -ERR_INVAL
 *
 * The backing-store protocol (pager/backing.c, docs/page-cache.md,
 * docs/external-pagers.md): one protocol for every server of memory
 * objects, the file server (PAGER_FS_REGISTER) and external pagers
 * (PAGER_MO_SERVE, below) alike; state is per server. The pager never
 * waits on a server: it queues requests (struct pager_backing_req) and
 * notifies the notification the server was given (or answers its parked
 * PAGER_MO_WAIT); the server fetches them and answers each.
 *  PAGER_OBJ_MAP       payload struct pager_obj_map:   w0 address in the client,
 *                      map a file into a client's      w1 1 if the pager made a new
 *                      space (after the server checked object for the key (the
 *                      the descriptor and its mode)    server then holds the inode
 *                                                      until BACKING_RELEASE)
 *  PAGER_OBJ_FETCH     -                               w0 n, payload n requests
 *                                                      (0: none queued); w1 ends
 *                                                      PAGER_FS_DEAD would report now
 *                                                      (0: no need to call it)
 *  PAGER_OBJ_DONE      w0 token, w1 result (0, or      w0 0
 *                      -ERR_IO, -ERR_NOSPC)
 *  PAGER_OBJ_SIZE      w0 key, w1 new size in bytes    w0 0 (the cache follows: pages
 *                      (ftruncate, a write past EOF)   past a shrunk end leave every
 *                                                      mapping; the partial last page's
 *                                                      tail is zeroed)
 *  PAGER_OBJ_PEEK      w0 key, w1 first page index,    w0 (and w1) bit i set: page w1+i is
 *                      w2 pages (<= 64), w3 window     cached and mapped R/W at
 *                      address (page-aligned, in the   w3 + i pages, until the server's
 *                      window's last BACKING_PEEK_     next PAGER_OBJ_* call
 *                      PAGES pages)
 *  PAGER_OBJ_FLUSH     w0 key: queue the write-back    w0 pages queued (0: none
 *                      of every dirty page (fsync)     dirty, or no object)
 *  PAGER_OBJ_KEEP      w0 key, w1 1: keep the object   w0 0; -ERR_NOENT if no
 *                      (and its cache) when its last   object has the key
 *                      mapping goes; 0: let it go
 * Every PAGER_OBJ_* from a process that serves nothing: -ERR_PERM; MAP
 * and PEEK from an external pager too; keys are per server (one server
 * never names another's objects, nor answers its tokens). Each PAGER_OBJ_MAP
 * reply with w1 = 1 pairs with exactly one later BACKING_RELEASE for the
 * key (holds are counted). An extending write sends PAGER_OBJ_SIZE before
 * it writes peeked pages.
 *
 * Exit status (as wait sees it, POSIX-shaped): exited normally with code c
 * -> (c & 0xff) << 8; killed by signal s -> s.
 */
#ifndef ABI_PAGER_H
#define ABI_PAGER_H

#include "kernel.h"

enum pager_label {
	PAGER_EXIT = 1,
	PAGER_SPAWN,
	PAGER_WAIT,
	PAGER_GETPID,
	PAGER_KILL,
	PAGER_PROC_STATS,
	PAGER_MEMINFO,
	PAGER_MMAP,
	PAGER_MUNMAP,
	PAGER_MPROTECT,
	PAGER_MADVISE,
	PAGER_MREMAP,
	PAGER_BRK,
	PAGER_FORK,
	PAGER_VMA_LIST,
	PAGER_CHECK,
	PAGER_SET_LIMIT,
	PAGER_DMA_ALLOC,
	PAGER_SETRLIMIT,
	PAGER_GETRLIMIT,
	PAGER_FS_REGISTER,	/* pager/fsconn.c, docs/fs-protocol.md */
	PAGER_FS_CONNECT,
	PAGER_FS_DEAD,
	PAGER_SPAWN_IMAGE,
	PAGER_FS_ALIVE,
	PAGER_MSYNC,
	PAGER_OBJ_MAP,		/* pager/backing.c, docs/page-cache.md */
	PAGER_OBJ_FETCH,
	PAGER_OBJ_DONE,
	PAGER_OBJ_SIZE,
	PAGER_OBJ_PEEK,
	PAGER_ZEROPOOL,		/* pager/zeropool.c, docs/benchmarks.md */
	PAGER_SIGACTION,	/* pager/signal.c, docs/signals.md */
	PAGER_SIGPROCMASK,
	PAGER_SIGPENDING,
	PAGER_SIGSUSPEND,
	PAGER_ALARM,
	PAGER_OBJ_FLUSH,
	PAGER_FAULT_FORWARD,	/* pager/forward.c, docs/custom-pager.md */
	PAGER_SPAWN_FILE,	/* pager/exec.c, docs/pager-protocol.md */
	PAGER_EXEC,
	PAGER_DELEGATE,		/* pager/delegate.c, docs/pager-protocol.md */
	PAGER_DELEGATE_FETCH,
	PAGER_POLICY,		/* pager/policy_backing.c, docs/policies.md */
	PAGER_MO_SERVE,		/* pager/extobj.c, docs/external-pagers.md */
	PAGER_MO_CREATE,
	PAGER_MO_MAP,
	PAGER_MO_WAIT,
	PAGER_MO_INVALIDATE,
	PAGER_MO_PROTECT,
	PAGER_MO_DIRTY,
	PAGER_MO_CLOSE,
	PAGER_MO_SUPPLY,
	PAGER_OBJ_KEEP,		/* w0 key, w1 1 keep / 0 let go: pager/bserver.c (fsd only) */
	PAGER_SIGALTSTACK,	/* pager/signal.c, docs/signals.md */
	PAGER_QUARANTINE,	/* -> w0 frames never reused since a file server died
				   with fills fetched (pager/bserver.c, docs/file-server.md) */
	PAGER_LABEL_COUNT
};

#define WAIT_NOHANG	1
/*
 * Per-region pagers (pager/delegate.c, docs/pager-protocol.md):
 *  PAGER_DELEGATE       w0 pid (0: the caller, else a   w0 the region's address
 *                       descendant), w1 address/hint,
 *                       w2 length, w3 prot, w4 0 or
 *                       PMAP_FIXED(_NOREPLACE), with
 *                       the timeout in ms (0: 1 s) in
 *                       bits 32..63; w5 the
 *                       delegate's pid
 *  PAGER_DELEGATE_FETCH w0 PDELEGATE_NOWAIT or 0 (wait  w0 reply handle (bounded to
 *                       for a fault in a region         the region, SYS_REPLY_BOUND),
 *                       delegated to the caller)        w1 address, w2 access, w3 pc,
 *                                                       w4 client pid, w5 region start
 * Read-around policies (pager/policy.h, docs/policies.md):
 *  PAGER_POLICY         w0 address (0: the system's)   w0 PPOLICY_*, the name in
 *                                                       the reply buffer
 */
/* PAGER_DELEGATE_FETCH w0: answer -ERR_AGAIN at once if nothing is queued. */
#define PDELEGATE_NOWAIT	1

/* PAGER_SPAWN flags: what a driver needs. PSPAWN_DMA: the child may use
 * PAGER_DMA_ALLOC (only from a process that may: init, its drivers, and
 * their forks); PSPAWN_OOM_PROTECT: never the out-of-memory victim (init
 * only, as PRLIMIT_OOM_PROTECT). Anything else: -ERR_INVAL. */
#define PSPAWN_DMA		1
#define PSPAWN_OOM_PROTECT	2

/* The largest ELF file PAGER_SPAWN_IMAGE takes (the pager copies it). */
#define PAGER_IMAGE_MAX		(1ul << 20)

/* The largest PAGER_DMA_ALLOC, in pages (2 MiB). */
#define PAGER_DMA_MAX_PAGES	512

#define PAGER_FAULT_BADGE(pid)	((uint64_t)(pid) | (1ul << 62))
#define PAGER_BADGE_PID(badge)	((badge) & ~(1ul << 62))

/* mmap protection: MAP_R, MAP_W, MAP_X from kernel.h (PROT_NONE is 0). */
/* mmap flags on the wire (sys/mman.h gives them their POSIX names). */
#define PMAP_SHARED		0x01
#define PMAP_PRIVATE		0x02
#define PMAP_FIXED		0x10
#define PMAP_ANONYMOUS		0x20
#define PMAP_POPULATE		0x8000
#define PMAP_FIXED_NOREPLACE	0x100000
/* PAGER_OBJ_MAP only (the server's word, never a client's): the
 * descriptor cannot write, so a MAP_SHARED mapping may never get MAP_W:
 * mprotect adding it is -ERR_ACCES, as Linux's VM_MAYWRITE. */
#define PMAP_FILE_RDONLY	0x40000000

/* madvise advice. */
#define PADV_NORMAL		0
#define PADV_RANDOM		1
#define PADV_SEQUENTIAL		2
#define PADV_WILLNEED		3
#define PADV_DONTNEED		4
/* libsys's read window (libsys/src/file_read.c), MAP_SHARED file mappings
 * only: a fault past the end of the file in the range resumes at the pc in
 * PAGER_MADVISE's w3 (the process's one such pc) with a0 the address,
 * instead of SIGBUS, so a truncate racing read() cannot kill the reader. */
#define PADV_EOF_RESUME		5
/* Ours: madvise advice choosing the range's read-around policy
 * (docs/policies.md); the hint above stays as it was. DEFAULT goes back
 * to the system's (PAGER_POLICY). */
#define PADV_POLICY_DEFAULT	100
#define PADV_POLICY_FIXED	101
#define PADV_POLICY_ADAPTIVE	102
#define PADV_POLICY_NONE	103
/* Read-around policies by id (PAGER_POLICY's w0; PADV_POLICY_* minus
 * PADV_POLICY_DEFAULT). */
#define PPOLICY_FIXED		1
#define PPOLICY_ADAPTIVE	2
#define PPOLICY_NONE		3
#define PPOLICY_COUNT		4

/* mremap flags. */
#define PREMAP_MAYMOVE		1
#define PREMAP_FIXED		2	/* move to w4 exactly (with PREMAP_MAYMOVE) */

/* msync flags. */
#define PMS_ASYNC		1
#define PMS_INVALIDATE		2
#define PMS_SYNC		4

/*
 * The backing-store protocol's messages. A request's pages are mapped in
 * the server's window (PAGER_FS_REGISTER's w3, BACKING_WINDOW_PAGES long)
 * from the moment PAGER_OBJ_FETCH returns it until PAGER_OBJ_DONE names its
 * token: BACKING_FILL's read/write and zeroed (write the file's bytes
 * there; the part past EOF stays zero), BACKING_WRITEBACK's read-only
 * (write `bytes` bytes of them to the file at index * PAGE_SIZE).
 * BACKING_SYNC: make everything written back for key durable (flush), then
 * answer. BACKING_RELEASE: the pager dropped its object for key (no
 * answer expected; the server may free an unlinked inode).
 * BACKING_WRITTEN (external pagers): the first store to page `index` of
 * key since PAGER_MO_PROTECT watched it (no answer expected; count 0).
 * A timed-out request's token names nothing: its answer is -ERR_INVAL.
 */
#define BACKING_FILL		1
#define BACKING_WRITEBACK	2
#define BACKING_SYNC		3
#define BACKING_RELEASE		4
#define BACKING_WRITTEN		5	/* external: a store hit a watched page (PAGER_MO_PROTECT); no answer */
#define BACKING_WINDOW_PAGES	512
#define BACKING_FILL_MAX	16	/* pages per BACKING_FILL (and WRITEBACK) */
/* The window's last BACKING_PEEK_PAGES pages are the server's for
 * PAGER_OBJ_PEEK (w3 and its w2 pages must lie there); the pager hands
 * out only the first BACKING_REQ_PAGES to requests. */
#define BACKING_PEEK_PAGES	64
#define BACKING_REQ_PAGES	(BACKING_WINDOW_PAGES - BACKING_PEEK_PAGES)

struct pager_backing_req {
	uint32_t op;		/* BACKING_* */
	uint32_t key;		/* the server's name for the file (its inode) */
	uint64_t index;		/* first page */
	uint32_t count;		/* pages (FILL, WRITEBACK) */
	uint32_t token;		/* for PAGER_OBJ_DONE (RELEASE: 0) */
	uint64_t window;	/* the pages' address in the server */
	uint64_t bytes;		/* WRITEBACK: bytes to write; FILL: the size the pager knows */
};
#define PAGER_OBJ_FETCH_MAX	(IPC_BUF_SIZE / sizeof(struct pager_backing_req))

struct pager_obj_map {
	uint64_t pid;		/* the client (the server checked its descriptor) */
	uint64_t key;		/* the inode */
	uint64_t size;		/* the file's size now */
	uint64_t hint, length;
	uint32_t prot;		/* MAP_R / MAP_W / MAP_X */
	uint32_t flags;		/* PMAP_* (SHARED or PRIVATE, FIXED, ...) */
	uint64_t offset;	/* page-aligned */
};

/*
 * External pagers (pager/extobj.c, docs/external-pagers.md): any process
 * may serve memory objects with the backing-store protocol above. An
 * object is named by its server's pid and key and guarded by a 64-bit
 * token (the capability: whoever the server tells it may map the object).
 *  PAGER_MO_SERVE      w0 answer timeout in ms (0:    w0 0, w1 notification (granted),
 *                      MO_TIMEOUT_DEFAULT_MS; at most w2 window address
 *                      MO_TIMEOUT_MAX_MS)             (BACKING_WINDOW_PAGES); -ERR_EXIST
 *                                                     if it serves already, -ERR_NOSPC
 *                                                     past MO_SERVERS_MAX servers
 *  PAGER_MO_CREATE     w0 size in bytes (server)      w0 key, w1 token; -ERR_NOSPC past
 *                                                     MO_OBJS_MAX objects or MO_PAGES_MAX
 *                                                     pages of objects
 *  PAGER_MO_MAP        w0 server pid | key << 32,     w0 address; -ERR_NOENT for a wrong
 *                      w1 token, w2 hint, w3 length,  name or token (or a server gone)
 *                      w4 prot | PMAP_* flags << 32,
 *                      w5 offset (any process)
 *  PAGER_MO_WAIT       w0 token to answer (0: none),  w0 1 and one request in w1..w5
 *                      w1 its result (as OBJ_DONE)    (MO_WAIT_* below); the call waits
 *                                                     until one is queued; -ERR_INVAL for
 *                                                     a bad token (nothing handed out)
 *  PAGER_MO_INVALIDATE w0 key, w1 first page, w2 n,   w0 0: the pages leave every mapping
 *                      w3 MO_INVAL_CLEAN: only clean  and the object (dirty ones too); the
 *                      pages (the rest stay)          next access faults to the server
 *  PAGER_MO_PROTECT    w0 key, w1 first page, w2 n    w0 0: write-protected everywhere; the
 *                                                     first store to each sends one
 *                                                     BACKING_WRITTEN (write watch)
 *  PAGER_MO_DIRTY      w0 key, w1 first page, w2 n    w0 0, w1 bit i: page w1 + i is dirty
 *                      (<= 64)                        (stored to since its last write-back)
 *  PAGER_MO_CLOSE      w0 key                         w0 0: the server's hold goes (no new
 *                                                     mappings); the object ends with its
 *                                                     last mapping (then BACKING_RELEASE)
 *  PAGER_MO_SUPPLY     w0 key, w1 first page, w2 n    w0 0: the server's own private
 *                      (<= BACKING_FILL_MAX), w3 its  anonymous pages at w3 move into the
 *                      page-aligned address           object (no copy; they read as zeros
 *                                                     after); -ERR_EXIST if a target is
 *                                                     there or being filled, -ERR_FAULT if
 *                                                     a source is not its own page
 * An external server also uses PAGER_OBJ_FETCH, PAGER_OBJ_DONE,
 * PAGER_OBJ_SIZE (within its page quota) and PAGER_OBJ_FLUSH on its own
 * keys; PAGER_OBJ_MAP and PAGER_OBJ_PEEK stay the file server's. A fill
 * is answered with the window's pages, which become the object's (moved,
 * not copied), or with an error: the faults waiting on it end in SIGBUS,
 * as does every fault on the objects of a server that ended, and every
 * request it leaves unanswered past its timeout. A server's own fault on
 * a missing page of its object is SIGBUS (it cannot answer itself).
 */
#define MO_SERVERS_MAX		8
#define MO_OBJS_MAX		16	/* objects per server */
#define MO_PAGES_MAX		8192	/* pages of objects per server (32 MiB) */
#define MO_REQS_MAX		128	/* requests queued or unanswered per server */
#define MO_TIMEOUT_DEFAULT_MS	2000
#define MO_TIMEOUT_MAX_MS	60000
#define MO_INVAL_CLEAN		1	/* PAGER_MO_INVALIDATE w3 */
/* PAGER_MO_WAIT's request words (w0 = 1). */
#define MO_WAIT_OP(w1)		((uint32_t)(w1))		/* BACKING_* */
#define MO_WAIT_KEY(w1)		((uint32_t)((w1) >> 32))
/* w2 index, w3 count | token << 32, w4 window address, w5 bytes */
#define MO_WAIT_COUNT(w3)	((uint32_t)(w3))
#define MO_WAIT_TOKEN(w3)	((uint32_t)((w3) >> 32))

/* Resources of PAGER_SETRLIMIT / PAGER_GETRLIMIT (all counts). */
#define PRLIMIT_AS		0	/* pages its VMAs may cover (RLIMIT_AS) */
#define PRLIMIT_RSS		1	/* resident pages (RLIMIT_RSS) */
#define PRLIMIT_NPROC		2	/* live + unreaped descendants (RLIMIT_NPROC) */
#define PRLIMIT_VMAS		3	/* VMAs (vm.max_map_count) */
#define PRLIMIT_OOM_PROTECT	4	/* 1: never the out-of-memory victim (init only) */
#define PRLIMIT_COUNT		5

/* The lowest address a mapping may have: Linux's default mmap_min_addr. */
#define PROC_MMAP_MIN		0x10000ul

/* One entry of PAGER_VMA_LIST. */
struct pager_vma_info {
	uint64_t start, end;
	uint32_t prot;		/* MAP_R / MAP_W / MAP_X */
	uint32_t kind;		/* PVMA_* */
	uint64_t resident;	/* pages present in memory for this range */
};
#define PVMA_ANON		1	/* private anonymous */
#define PVMA_SHARED		2	/* shared anonymous */
#define PVMA_IMAGE		3	/* program image */
#define PVMA_HEAP		4
#define PVMA_STACK		5
#define PVMA_IPCBUF		6
#define PVMA_FILE		7	/* a file, shared or private */
#define PVMA_LIST_MAX		(IPC_BUF_SIZE / sizeof(struct pager_vma_info))

/* Wait statuses of processes the pager ends: picolibc's numbers, as
 * abi/signal.h's (SIGBUS is 10 there, not Linux's 7). */
#define PAGER_SIGBUS	10
#define PAGER_SIGKILL	9
#define PAGER_SIGSEGV	11

/* PAGER_KILL w2, PAGER_SIGACTION w0, PAGER_SIGPROCMASK w0. */
#define PKILL_PROBE	1
#define PSIGACT_SET	0x100
#define PSIG_SETMASK	0	/* picolibc's SIG_SETMASK, SIG_BLOCK, SIG_UNBLOCK */
#define PSIG_BLOCK	1
#define PSIG_UNBLOCK	2
#define PSIG_QUERY	3

#define PROC_MAX_DEVICES	BOOT_MAX_DEVICES

/*
 * Process start: the first thread of a process begins at the ELF entry
 * with a0 = sp = struct proc_start * (16-byte aligned); argv and its
 * strings are above it on the initial stack page.
 */
struct proc_start {
	uint64_t argc;
	char **argv;
	uint64_t pager;		/* handle: endpoint to the pager, badged */
	uint64_t pid;
	uint64_t ipcbuf;	/* the IPC buffer page, already mapped */
	uint64_t granted;	/* handle granted by the parent at spawn, or 0 */
	uint64_t devctl;	/* the power handle, for SYS_SHUTDOWN (init only), or 0 */
	/* Device capabilities (init only): device i's handle and its IRQ's
	 * handle (0 if none); SYS_DEVICE_INFO says what each device is. */
	uint64_t ndevices;
	struct proc_device { uint64_t device, irq; } devices[PROC_MAX_DEVICES];
};

/*
 * Process address-space layout:
 *   PROC_TEXT_MIN ..         program image, then the heap (brk) after it
 *   .. PROC_MMAP_TOP         mmap without a hint, allocated top-down
 *   .. PROC_STACK_TOP        the main stack, growing down on demand to
 *                            PROC_STACK_MAX, never closer than
 *                            PROC_STACK_GUARD to the mapping below it
 *   PROC_IPCBUF_VA           the IPC buffer page
 */
#define PROC_TEXT_MIN		0x10000ul
#define PROC_MMAP_TOP		0x3000000000ul
#define PROC_STACK_TOP		0x3fff000000ul
#define PROC_STACK_MAX		(8ul << 20)
#define PROC_STACK_INITIAL	(128ul << 10)
#define PROC_STACK_GUARD	(1ul << 20)
#define PROC_IPCBUF_VA		0x3fff800000ul
#define PROC_SPAWN_ARGS_MAX	1024
#define PROC_SPAWN_ARGC_MAX	32	/* strings in it, libsys's inherited state included */

/*
 * Per-task pagers (pager/forward.c, docs/custom-pager.md). PAGER_SPAWN
 * with PSPAWN_PAGER (w0; PAGER_SPAWN_IMAGE: w2; PAGER_SPAWN_FILE: w3) takes the granted handle
 * (w5, an endpoint the caller can receive on) as the child's pager: every
 * fault and the death message of the child's thread go there, badged
 * PAGER_FAULT_BADGE(child pid) unless the handle carries its own badge. The
 * handle is not given to the child. The caller (the child's holder) answers
 * each fault itself (FAULT_REPLY_KILL; it cannot map into the child) or
 * forwards it to us:
 *  PAGER_FAULT_FORWARD w0 address, w1 access,       w0 PFWD_*: how it was
 *                      w2 pc, w3 kind (the fault's    resolved (the thread is
 *                      words), w4 the child's pid,    answered through the
 *                      w5 the fault's reply handle    handle, or for PFWD_FILL
 *                      (SYS_REPLY_SAVE, IPC_GRANT)    when the page is in);
 *                                                     w1 the wait status for
 *                                                     PFWD_ENDED
 * A forwarded death message (kind FAULT_KIND_EXIT, no handle) ends the
 * child. -ERR_PERM: not the caller's per-task child; -ERR_SRCH: it ended;
 * -ERR_INVAL: no reply handle, a bad kind, or a handle that answers no one;
 * -ERR_BUSY: the child already has a fault waiting on a fill. When the
 * holder ends, its per-task children end with SIGKILL.
 */
#define PSPAWN_PAGER		4
#define PFWD_MAPPED		1	/* a resident page, mapped as it was */
#define PFWD_ZERO		2	/* a new zeroed page, or the shared zero page */
#define PFWD_COPY		3	/* copy-on-write: a private copy made */
#define PFWD_FILL		4	/* waits for a file page's read; answered then */
#define PFWD_SIGNAL		5	/* a signal handler runs (or a sigreturn) */
#define PFWD_ENDED		6	/* the child ended (w1: its wait status) */
#define PFWD_RESUMED		7	/* resumed with no new mapping (also: the death of an
					 * image exec replaced, ignored) */

/*
 * Programs demand-paged from a file (pager/exec.c, docs/pager-protocol.md).
 * The caller maps the program file (mmap of its descriptor from offset 0;
 * the file server checked the descriptor), reads the ELF header itself and
 * names the PT_LOAD segments; the pager checks them again against the
 * file object and maps them from it: text and data copy-on-write over the
 * page cache (two processes share text frames), bss anonymous. It reads
 * no file data, except that the page holding the end of a segment with
 * bss after it must be cached (the caller touched it): its tail past the
 * file bytes is zeroed in a private copy.
 *  PAGER_SPAWN_FILE    w0 address of the mapping, w1   w0 pid; -ERR_NOEXEC for bad
 *                      entry, w2 segments, w3 PSPAWN_* segments, -ERR_AGAIN if a
 *                      flags, w4 the file server's    segment end page is not cached
 *                      snapshot for the child (0:
 *                      none; as PAGER_FORK's w3),
 *                      w5 grant (IPC_GRANT);
 *                      buffer: the segments (struct    (touch it and ask again)
 *                      pager_exec_seg), then argv as
 *                      PAGER_SPAWN's
 *  PAGER_EXEC          as PAGER_SPAWN_FILE (w3, w5     no reply on success: the caller
 *                      unused): replace the caller's  runs the new program (same pid,
 *                      image                           parent, signal mask, pending
 *                                                      signals; caught ones to default);
 *                                                      an error leaves the image as it was
 */
struct pager_exec_seg {
	uint64_t vaddr, memsz;	/* [vaddr, vaddr + memsz) in the new space */
	uint64_t offset, filesz;	/* file bytes at vaddr; the rest is zero */
	uint64_t prot;		/* MAP_R | MAP_W | MAP_X */
};
#define PAGER_EXEC_SEGS_MAX	8

/*
 * Write-back of scattered pages in one request (appended; the file server
 * only: an external pager gets BACKING_WRITEBACK, one run each).
 * BACKING_WRITEBACK_RUNS: `count` window pages; the first holds the run
 * table (struct pager_backing_run[bytes], read-only like the rest), the
 * others the data, each run's pages in turn, runs in ascending file
 * order without overlap. `index` is the first run's first page, `bytes`
 * the number of runs (1 .. BACKING_RUNS_MAX), count = 1 + the runs' pages
 * (at most 1 + BACKING_RUNS_PAGES). One answer (PAGER_OBJ_DONE) for all:
 * an error makes every page of the request dirty again. The server writes
 * a run's pages to the file at index * PAGE_SIZE, the last one only up to
 * `last` bytes (1 .. PAGE_SIZE), never past the file's end.
 */
#define BACKING_WRITEBACK_RUNS	6
#define BACKING_RUNS_MAX	128	/* runs per request */
#define BACKING_RUNS_PAGES	128	/* data pages per request */
struct pager_backing_run {
	uint64_t index;		/* the run's first page in the file */
	uint32_t pages;		/* its pages in the window (>= 1) */
	uint32_t last;		/* bytes of its last page to write: 1 .. PAGE_SIZE */
};
_Static_assert(BACKING_RUNS_MAX * sizeof(struct pager_backing_run) <= PAGE_SIZE,
	       "a run table fits its window page");
/*
 * Fewer calls per request (appended; the file server):
 *  - A BACKING_SYNC fetched after write-backs of its key covers them: the
 *    server runs it once they are written (fsd parks it behind a parked
 *    one), so the pager queues an msync's SYNC right behind its
 *    write-backs, and one fetch takes both. The pager still checks: a
 *    SYNC answered before a write-back it covers reports -ERR_IO.
 *  - PAGER_OBJ_FETCH's reply w2: 1 if requests are still queued (fetch
 *    again), 0 if the queue is empty (a new request notifies).
 *  - The file server's PAGER_OBJ_DONE answers up to BACKING_DONE_MAX
 *    requests: w0/w1, then w2/w3 and w4/w5 each a further token and its
 *    result (token 0: none), taken in that order, each as a DONE of its
 *    own; the reply is the first error (every pair is taken), and w1 1
 *    if requests are queued (an answer may queue more: a RELEASE after
 *    the last write-back; a server that drains fetches again). An
 *    external pager's DONE answers w0/w1 only.
 */
#define BACKING_DONE_MAX	3

#endif
