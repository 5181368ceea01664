/*
 * Files kept cached after their last close: the pager frees a file's
 * object, and with it the file's page cache, when its last mapping goes,
 * and libsys's read() maps the file (file_read.c), so every open, read,
 * close would read the disk again. At the last close of a file the pager
 * has an object for, we ask it to keep the object (PAGER_OBJ_KEEP); the
 * KEEP_MAX most recently closed stay, the oldest is let go. Their clean
 * pages remain the pager's to reclaim under memory pressure, so a kept
 * file pins nothing. An inode kept this way is held (backing_holds):
 * unlinking it lets go at once, and the pager's release frees it.
 */
#include "libsys.h"
#include "abi/pager.h"
#include "fsd.h"

#define KEEP_MAX	16

static uint32_t kept[KEEP_MAX];	/* most recent first; 0: free */
static unsigned nkept;

static int64_t keep_call(uint32_t ino, uint64_t keep)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_OBJ_KEEP, 0, 0), .w = { ino, keep } };

	return pager_call(&m);
}

static void take_out(unsigned i)
{
	for (; i + 1 < nkept; i++)
		kept[i] = kept[i + 1];
	kept[--nkept] = 0;
}

/* The last description of ino closed. */
void keep_closed(uint32_t ino)
{
	struct ext2_stat st;
	unsigned i;

	if (!backing_holds(ino) || ext2_stat(&fs, ino, &st) < 0 || !st.nlink ||
	    (st.mode & 0xf000) != 0x8000)
		return;
	for (i = 0; i < nkept && kept[i] != ino; i++)
		;
	if (i == nkept) {
		if (keep_call(ino, 1) < 0)
			return;		/* the object went already */
		if (nkept == KEEP_MAX) {
			(void)keep_call(kept[KEEP_MAX - 1], 0);
			nkept--;
		}
		i = nkept++;
	}
	for (; i > 0; i--)
		kept[i] = kept[i - 1];
	kept[0] = ino;
}

/* After an unlink or a rename: a kept file with no name left goes now,
 * and the pager's release, run here, frees it before we answer. */
void keep_forget_unlinked(void)
{
	struct ext2_stat st;
	bool let_go = false;

	for (unsigned i = 0; i < nkept;) {
		if (ext2_stat(&fs, kept[i], &st) == 0 && st.nlink) {
			i++;
			continue;
		}
		(void)keep_call(kept[i], 0);
		take_out(i);
		let_go = true;
	}
	if (let_go)
		backing_drain();
}

/* FS_SYNC: stores made through mappings of kept files reach the disk. */
void keep_flush(void)
{
	for (unsigned i = 0; i < nkept; i++)
		backing_flush(kept[i]);
}
