# Runs one command and prints "<exit code> <wall us> <peak RSS KiB> <user us> <system us>" on
# stdout: the wall time from fork to reaping, and getrusage(RUSAGE_CHILDREN) after reaping it.
# The command's own output goes to standard error.
#
# Perl (perl-base, present on every Debian and Ubuntu) rather than Deno: a child's peak RSS
# counts the memory of the process that forked it (until exec), so the parent must be small.
# Usage: perl peak_rss.pl CLOCK_GETTIME_NR GETRUSAGE_NR COMMAND [ARG...]
use strict;
use warnings;

my ($clock_nr, $rusage_nr, @command) = @ARGV;
die "usage: perl peak_rss.pl CLOCK_GETTIME_NR GETRUSAGE_NR COMMAND [ARG...]\n" unless @command;

sub now_us {
  my $ts = "\0" x 16;
  syscall($clock_nr + 0, 1, $ts) == 0 or die "clock_gettime: $!\n";
  my ($s, $ns) = unpack("q2", $ts);
  return $s * 1e6 + $ns / 1e3;
}

my $start = now_us();
my $pid = fork();
die "fork: $!\n" unless defined $pid;
if ($pid == 0) {
  open(STDOUT, ">&", \*STDERR) or die "dup: $!\n";
  exec { $command[0] } @command or die "exec $command[0]: $!\n";
}
waitpid($pid, 0) == $pid or die "waitpid: $!\n";
my $status = $?;
my $wall = now_us() - $start;
my $usage = "\0" x 144;
syscall($rusage_nr + 0, -1, $usage) == 0 or die "getrusage: $!\n";
my @f = unpack("q18", $usage);
my $code = ($status & 127) ? 128 + ($status & 127) : $status >> 8;
printf "%d %.0f %d %.0f %.0f\n", $code, $wall, $f[4], $f[0] * 1e6 + $f[1], $f[2] * 1e6 + $f[3];
