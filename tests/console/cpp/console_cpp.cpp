// console_cpp ROOT: std::cout / std::cerr / a child process under WB_CONSOLE_REDIRECT, then a
// WB_CONSOLE_WRAP run fed by wb::ConsoleBuf (a logger's sink, teed to std::cout).
#include <cstdlib>
#include <iostream>
#include <ostream>
#include <wandb_media.hpp>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  {
    auto run = wb::Run::try_open(argv[1], wb::RunOptions().mode(WB_MODE_OFFLINE).disable_stats().console(WB_CONSOLE_REDIRECT));
    if (!run.ok()) return 3;
    std::cout << "cout line 1" << std::endl;
    std::cerr << "cerr line" << std::endl;
    std::cout << "cout " << 2 << " " << 3.5 << "\n";
    std::cout.flush();
    if (std::system("echo child from cpp") != 0) return 4;
    if (!run.value().try_finish(0).ok()) return 5;
  }
  {
    auto run = wb::Run::try_open(argv[1], wb::RunOptions().mode(WB_MODE_OFFLINE).disable_stats().console(WB_CONSOLE_WRAP));
    if (!run.ok()) return 6;
    wb::ConsoleBuf out(run.value().get(), WB_CONSOLE_STDOUT, std::cout.rdbuf());
    wb::ConsoleBuf err(run.value().get(), WB_CONSOLE_STDERR);
    std::ostream log(&out), elog(&err);
    log << "sink line one\n";
    log << "sink " << 2 << "\n";
    elog << "ERRsink" << std::flush;
    log.flush();
    elog.flush();
    if (!run.value().try_finish(0).ok()) return 7;
  }
  return 0;
}
