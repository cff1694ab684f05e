//===- Subprocess.cpp - run an executable as a child in tests ---*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "Subprocess.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

using namespace gps::rt::test;

Outcome gps::rt::test::runChild(const std::string &program,
                                const std::vector<std::string> &args,
                                const TempDir &dir, const Harm &harm,
                                bool captureStdout) {
  std::string outPath = captureStdout ? dir.file("child.out") : "/dev/null";
  std::string errPath = dir.file("child.err");
  pid_t pid = ::fork();
  if (pid == 0) {
    int out = ::open(outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0)
      ::_exit(99);
    if (!harm.env.empty())
      ::putenv(const_cast<char *>(harm.env.c_str()));
    if (harm.fileSizeLimit) {
      struct rlimit limit = {harm.fileSizeLimit, harm.fileSizeLimit};
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0)
        ::_exit(97);
    }
    std::vector<char *> argv;
    std::string path = program;
    argv.push_back(path.data());
    std::vector<std::string> copy = args;
    for (std::string &arg : copy)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(path.c_str(), argv.data());
    ::_exit(98);
  }
  if (harm.killAfterMicros) {
    ::usleep(static_cast<useconds_t>(harm.killAfterMicros));
    ::kill(pid, SIGKILL);
  }
  if (!harm.signalWhen.empty()) {
    for (int i = 0; i < 10000 && readFileBytes(harm.signalWhen).empty(); ++i)
      ::usleep(1000);
    for (int signal : harm.signals) {
      ::kill(pid, signal);
      ::usleep(1000);
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Outcome outcome;
  if (WIFEXITED(status))
    outcome.exitCode = WEXITSTATUS(status);
  else
    outcome.signal = WTERMSIG(status);
  if (captureStdout) {
    std::vector<uint8_t> out = readFileBytes(outPath);
    outcome.out.assign(out.begin(), out.end());
  }
  std::vector<uint8_t> err = readFileBytes(errPath);
  outcome.err.assign(err.begin(), err.end());
  return outcome;
}
