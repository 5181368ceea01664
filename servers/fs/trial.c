/*
 * Trials: the calls that change the file system, in nowait mode. A change
 * cannot stop half-way at a missing block (bitmaps and directories would
 * be half-updated), so it runs as a trial:
 *   1. trial_begin saves the superblock;
 *   2. every buffer the change gets (bget, bget_zero, cache_forget) is
 *      first recorded by trial_touch: its contents copied to a shadow slot
 *      and the buffer pinned until the end (so that it cannot be replaced
 *      with the change's data in it);
 *   3. a block that is not cached makes the change fail with -ERR_AGAIN
 *      (ext2_wanted names it), and trial_end then copies every shadow back
 *      (marking it dirty: a write-back may have taken the changed copy to
 *      the disk meanwhile), drops blocks the change brought in, and puts
 *      the superblock back: nothing happened. Otherwise the change stays.
 * A change that needs more slots than there are (a large write) ends the
 * same way and is run again at once without nowait.
 */
#include <string.h>
#include "ext2_int.h"

void trial_init(struct ext2_fs *fs)
{
	size_t slots = fs->env.shadow_mem ? fs->env.shadow_bytes / fs->bsize : 0;

	fs->shadow_mem = fs->env.shadow_mem;
	fs->shadow_slots = slots > EXT2_TRIAL_MAX ? EXT2_TRIAL_MAX : (uint32_t)slots;
	/* Leave buffers unpinned for the change's own use. */
	fs->trial_cap = fs->nbufs / 2 > 8 ? fs->nbufs / 2 - 8 : 0;
	if (fs->trial_cap > EXT2_TRIAL_MAX)
		fs->trial_cap = EXT2_TRIAL_MAX;
	for (uint32_t i = 0; i < fs->nbufs; i++)
		fs->bufs[i].shadow = -1;
}

bool trial_begin(struct ext2_fs *fs)
{
	if (!fs->nowait_wanted || fs->shadow_slots == 0 || fs->trial_cap == 0)
		return false;
	fs->trial = true;
	fs->nowait = true;
	fs->trial_overflow = false;
	fs->ntrial = 0;
	fs->nshadow = 0;
	fs->sb_saved = fs->sb;
	fs->sb_dirty_saved = fs->sb_dirty;
	return true;
}

int trial_touch(struct ext2_fs *fs, struct ext2_buf *b, bool is_new)
{
	if (b->trial)
		return 0;
	if (fs->ntrial == fs->trial_cap ||
	    (!is_new && fs->nshadow == fs->shadow_slots)) {
		fs->trial_overflow = true;
		return -ERR_AGAIN;
	}
	if (!is_new) {
		b->shadow = (int16_t)fs->nshadow++;
		memcpy(fs->shadow_mem + (size_t)b->shadow * fs->bsize, b->data,
		       fs->bsize);
	}
	b->trial = true;
	b->trial_new = is_new;
	b->refs++;
	fs->trial_bufs[fs->ntrial++] = b;
	return 0;
}

/* Returns true if the change must be run again synchronously. */
bool trial_end(struct ext2_fs *fs, int64_t result)
{
	bool undo = result == -ERR_AGAIN || fs->trial_overflow;
	bool rerun = fs->trial_overflow;

	for (uint32_t i = 0; i < fs->ntrial; i++) {
		struct ext2_buf *b = fs->trial_bufs[i];

		if (undo && b->trial_new) {
			b->dirty = false;
			cache_drop(fs, b);
		} else if (undo) {
			memcpy(b->data, fs->shadow_mem + (size_t)b->shadow * fs->bsize,
			       fs->bsize);
			b->dirty = true;
			cache_note_dirty(fs, b);
		}
		b->trial = false;
		b->shadow = -1;
		b->refs--;
	}
	if (undo) {
		fs->sb = fs->sb_saved;
		fs->sb_dirty = fs->sb_dirty_saved;
	}
	fs->ntrial = 0;
	fs->trial = false;
	fs->nowait = false;
	return rerun;
}
