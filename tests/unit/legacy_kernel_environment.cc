// Makes this process look like a kernel without openat2 (Linux < 5.6) on a
// filesystem without RENAME_NOREPLACE, so that PosixFileSystem's fallbacks, the
// O_NOFOLLOW component walk and link()-based no-clobber commit, run under the
// same contract and confinement tests as the main paths. A seccomp filter,
// installed before any test runs and inherited by every thread the tests start,
// fails those calls the way such a system would.
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <iterator>

namespace ferry {
namespace {

// System call numbers are per architecture; the filter checks it is on this one.
#if defined(__x86_64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#else
#error "no seccomp architecture constant for this target"
#endif

class LegacyKernelEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    constexpr uint32_t kArch = offsetof(seccomp_data, arch);
    constexpr uint32_t kNr = offsetof(seccomp_data, nr);
    constexpr uint32_t kFlags = offsetof(seccomp_data, args[4]);  // renameat2's flags, low half
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArch),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 0, 7),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kNr),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_renameat2, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kFlags),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, RENAME_NOREPLACE, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    const sock_fprog program = {.len = static_cast<unsigned short>(std::size(filter)),
                                .filter = filter};
    ASSERT_EQ(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
    ASSERT_EQ(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program), 0);
    errno = 0;
    ASSERT_EQ(syscall(SYS_openat2, -1, "", nullptr, 0), -1);
    ASSERT_EQ(errno, ENOSYS) << "the filter is not in force";
  }
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new LegacyKernelEnvironment);

}  // namespace
}  // namespace ferry
