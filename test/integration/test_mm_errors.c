/*
 * Every error code of the mmap family, one case each: EINVAL (length 0,
 * unaligned address for MAP_FIXED, munmap, mprotect, madvise and mremap,
 * unaligned offset, neither or both of MAP_SHARED/MAP_PRIVATE, unknown
 * flags, unknown prot bits, bad advice, new size 0), ENOMEM (no room in the
 * address space, unmapped range for mprotect and madvise, a blocked mremap),
 * EEXIST (MAP_FIXED_NOREPLACE over a mapping), EACCES (mprotect of the IPC
 * buffer), EBADF (a file mapping with no file server: nothing is open),
 * EFAULT (mremap of an unmapped range).
 * After each failure nothing has changed.
 */
#include "t.h"
#include "mm.h"

int main(void)
{
	volatile char *p, *hole;

	stack_warm(16);
	p = mmap(NULL, 4 * PS, RW, ANON_PRIV, -1, 0);
	CHECK(p != MAP_FAILED);
	page_fill(p, 0x11);
	/* A page known to be unmapped: mapped, then unmapped again. */
	hole = mmap(NULL, 2 * PS, RW, ANON_PRIV, -1, 0);
	CHECK(hole != MAP_FAILED);
	CHECK_EQ(munmap((void *)hole, 2 * PS), 0);
	uint64_t vp = virt_pages();

	/* mmap with length 0: EINVAL. */
	CHECK_ERR(mmap(NULL, 0, RW, ANON_PRIV, -1, 0), EINVAL);
	/* mmap MAP_FIXED at an address not page-aligned: EINVAL. */
	CHECK_ERR(mmap((void *)(hole + 12), PS, RW, ANON_PRIV | MAP_FIXED, -1, 0), EINVAL);
	/* mmap with an offset not page-aligned: EINVAL. */
	CHECK_ERR(mmap(NULL, PS, RW, ANON_PRIV, -1, 100), EINVAL);
	/* mmap with neither MAP_SHARED nor MAP_PRIVATE: EINVAL. */
	CHECK_ERR(mmap(NULL, PS, RW, MAP_ANONYMOUS, -1, 0), EINVAL);
	/* mmap with both MAP_SHARED and MAP_PRIVATE: EINVAL. */
	CHECK_ERR(mmap(NULL, PS, RW, MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	/* mmap with a flag bit nobody defines: EINVAL. */
	CHECK_ERR(mmap(NULL, PS, RW, ANON_PRIV | 0x40000000, -1, 0), EINVAL);
	/* munmap with length 0: EINVAL. */
	CHECK_ERR(munmap((void *)p, 0), EINVAL);
	/* munmap at an address not page-aligned: EINVAL. */
	CHECK_ERR(munmap((void *)(p + 1), PS), EINVAL);
	/* mprotect at an address not page-aligned: EINVAL. */
	CHECK_ERR(mprotect((void *)(p + 1), PS, PROT_READ), EINVAL);
	/* mprotect with a prot bit beyond PROT_READ|WRITE|EXEC: EINVAL. */
	CHECK_ERR(mprotect((void *)p, PS, RW | 0x100), EINVAL);
	/* madvise at an address not page-aligned: EINVAL. */
	CHECK_ERR(madvise((void *)(p + 1), PS, MADV_DONTNEED), EINVAL);
	/* madvise with advice nobody defines: EINVAL. */
	CHECK_ERR(madvise((void *)p, PS, 1234), EINVAL);
	/* mremap at an old address not page-aligned: EINVAL. */
	CHECK_ERR(mremap((void *)(p + 1), PS, 2 * PS, MREMAP_MAYMOVE), EINVAL);
	/* mremap to a new size of 0: EINVAL. */
	CHECK_ERR(mremap((void *)p, PS, 0, MREMAP_MAYMOVE), EINVAL);
	/* mremap with a flag bit nobody defines: EINVAL. */
	CHECK_ERR(mremap((void *)p, PS, 2 * PS, 0x40), EINVAL);
	/* None of these changed the mapping or its data. */
	CHECK_EQ(virt_pages(), vp);
	CHECK(page_is(p, 0x11));

	/* mmap larger than the whole address space: ENOMEM. */
	CHECK_ERR(mmap(NULL, 1ul << 40, RW, ANON_PRIV, -1, 0), ENOMEM);
	/* mprotect of an unmapped range: ENOMEM. */
	CHECK_ERR(mprotect((void *)hole, PS, PROT_READ), ENOMEM);
	/* madvise of an unmapped range: ENOMEM. */
	CHECK_ERR(madvise((void *)hole, PS, MADV_WILLNEED), ENOMEM);
	/* mremap growing into a mapped neighbour without MREMAP_MAYMOVE: ENOMEM
	 * (p's second page is taken by the rest of p). */
	CHECK_ERR(mremap((void *)p, PS, 2 * PS, 0), ENOMEM);
	CHECK_EQ(virt_pages(), vp);

	/* MAP_FIXED_NOREPLACE over a mapped page: EEXIST, the data survives. */
	CHECK_ERR(mmap((void *)p, PS, RW, ANON_PRIV | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
	CHECK(page_is(p, 0x11));

	/* mprotect of the IPC buffer page: EACCES. */
	CHECK_ERR(mprotect((void *)PROC_IPCBUF_VA, PS, PROT_READ), EACCES);
	CHECK_EQ(vma_at(PROC_IPCBUF_VA).kind, PVMA_IPCBUF);
	CHECK_EQ(vma_at(PROC_IPCBUF_VA).prot, RW);

	/* mmap of a descriptor without a file server: none is open, EBADF. */
	CHECK_ERR(mmap(NULL, PS, PROT_READ, MAP_PRIVATE, 3, 0), EBADF);

	/* mremap of an old range that is not mapped: EFAULT. */
	CHECK_ERR(mremap((void *)hole, PS, 2 * PS, MREMAP_MAYMOVE), EFAULT);

	/* All that left the process as it was. */
	CHECK_EQ(virt_pages(), vp);
	CHECK(page_is(p, 0x11));
	CHECK_EQ(munmap((void *)p, 4 * PS), 0);
	CHECK_EQ(pager_check(), 0);
	return t_done("mm_errors");
}
