#!/usr/bin/perl
# x12_parser.pl — the X12::Parser peer of bench/x12_bench.c (Debian's
# libx12-parser-perl, 0.80).
#
# X12::Parser reads a file segment by segment ($/ set to the terminator)
# and finds loops with a configuration (cf) file: each loop is named by
# its first segment and, where needed, a qualifier (NM1*85 starts 2010AA).
# The package ships cf files for the 4010 guides only, one transaction
# per file, so the cf at the end of this script describes the 5010 loops
# of both sets in the corpus, 837P (005010X222A1) and 835 (005010X221A1),
# in one tree; it was written for this benchmark from the package's 4010
# 837P and 835 files and the 5010 loop lists.
#
# A pass: parsefile, then get_next_loop / get_loop_segments over the whole
# file, every segment split into its elements. Counts: ISA, GS and ST
# loops, segments, elements, and the claim loops (2300, and 2100 of the
# 835). X12::Parser checks no envelope (counts, control numbers).
#
# Passes are repeated until BENCH_MIN_SECONDS (2) and BENCH_MIN_PASSES (1)
# are both reached, or BENCH_MAX_SECONDS (20) have run; the median is
# reported. Prints one JSON line. Usage: perl x12_parser.pl CORPUS
use strict;
use warnings;
use File::Temp qw(tempfile);
use Time::HiRes qw(time);
use X12::Parser;

my $file = shift or die "usage: x12_parser.pl CORPUS\n";
my ($cfh, $cf) = tempfile('x12-bench-XXXXXX', SUFFIX => '.cf', TMPDIR => 1, UNLINK => 1);
print $cfh do { local $/; <DATA> };
close $cfh;

sub one_pass {
    my %c = map { $_ => 0 } qw(interchanges groups sets segments elements claims);
    my $p = X12::Parser->new;
    $p->parsefile(file => $file, conf => $cf);
    my $es = quotemeta $p->get_element_separator;
    while (my $loop = $p->get_next_loop) {
        my @segs = $p->get_loop_segments;
        $c{interchanges}++ if $loop eq 'ISA';
        $c{groups}++ if $loop eq 'GS';
        $c{sets}++ if $loop eq 'ST';
        $c{claims}++ if $loop eq '2300' || $loop eq '835-2100';
        for my $s (@segs) {
            my @e = split /$es/, $s, -1;
            $c{segments}++;
            $c{elements} += @e - 1;
        }
    }
    return \%c;
}

sub peak_rss_kb {
    open(my $f, '<', '/proc/self/status') or return -1;
    while (<$f>) { return $1 if /^VmHWM:\s+(\d+)/ }
    return -1;
}

my $min_s = $ENV{BENCH_MIN_SECONDS} // 2;
my $min_passes = $ENV{BENCH_MIN_PASSES} // 1;
my $max_s = $ENV{BENCH_MAX_SECONDS} // 20;
my (@times, $expect);
my $total = 0;
while (!@times || ((@times < $min_passes || $total < $min_s) && $total < $max_s)) {
    my $t0 = time;
    my $got = one_pass();
    my $s = time - $t0;
    push @times, $s;
    $total += $s;
    if ($expect) {
        for (keys %$got) { die "x12_parser: passes disagree\n" if $got->{$_} != $expect->{$_} }
    }
    $expect = $got;
}
@times = sort { $a <=> $b } @times;
my $half = int(@times / 2);
my $med = @times % 2 ? $times[$half] : ($times[$half - 1] + $times[$half]) / 2;
my $best = $times[0];
my $bytes = -s $file;
my $perl = sprintf('%vd', $^V);
printf '{"tool":"X12::Parser","version":"%s","runtime":"Perl %s","depth":"loops",'
  . '"work":"parsefile + get_next_loop/get_loop_segments (5010 cf), every element split",'
  . '"bytes":%d,"passes":%d,"seconds":%.6f,"best_seconds":%.6f,"mb_per_s":%.3f,'
  . '"best_mb_per_s":%.3f,"peak_rss_kb":%d,"interchanges":%d,"groups":%d,"sets":%d,'
  . '"segments":%d,"elements":%d,"claims":%d}' . "\n",
  $X12::Parser::VERSION, $perl, $bytes, scalar @times, $med, $best, $bytes / $med / 1e6,
  $bytes / $best / 1e6, peak_rss_kb(), @{$expect}{qw(interchanges groups sets segments elements claims)};

# The 5010 cf: [LOOPS] lists the top-level loops in order; in each loop's
# section only the first segment= line counts (id:qualifier position:
# qualifier codes:name:usage:repeat), and loop= lines nest child loops.
__DATA__
[LOOPS]
ISA
GS
ST
1000A
1000B
2000A
835-1000A
835-1000B
835-2000
SE
GE
IEA

[ISA]
segment=ISA:::Interchange Control Header:R:1

[GS]
segment=GS:::Functional Group Header:R:1

[ST]
segment=ST:::Transaction Set Header:R:1

[1000A]
segment=NM1:1:41:Submitter Name:R:1

[1000B]
segment=NM1:1:40:Receiver Name:R:1

[2000A]
segment=HL:3:20:Billing Provider Hierarchical Level:R:>1
loop=2010AA
loop=2010AB
loop=2010AC
loop=2000B

[2010AA]
segment=NM1:1:85:Billing Provider Name:R:1

[2010AB]
segment=NM1:1:87:Pay-to Address Name:S:1

[2010AC]
segment=NM1:1:PE:Pay-To Plan Name:S:1

[2000B]
segment=HL:3:22:Subscriber Hierarchical Level:R:>1
loop=2010BA
loop=2010BB
loop=2300
loop=2000C

[2010BA]
segment=NM1:1:IL:Subscriber Name:R:1

[2010BB]
segment=NM1:1:PR:Payer Name:R:1

[2000C]
segment=HL:3:23:Patient Hierarchical Level:S:>1
loop=2010CA
loop=2300

[2010CA]
segment=NM1:1:QC:Patient Name:R:1

[2300]
segment=CLM:::Claim Information:S:100
loop=2310A
loop=2310B
loop=2310C
loop=2310D
loop=2310E
loop=2310F
loop=2320
loop=2400

[2310A]
segment=NM1:1:DN,P3:Referring Provider Name:S:2

[2310B]
segment=NM1:1:82:Rendering Provider Name:S:1

[2310C]
segment=NM1:1:77:Service Facility Location Name:S:1

[2310D]
segment=NM1:1:DQ:Supervising Provider Name:S:1

[2310E]
segment=NM1:1:PW:Ambulance Pick-up Location:S:1

[2310F]
segment=NM1:1:45:Ambulance Drop-off Location:S:1

[2320]
segment=SBR:::Other Subscriber Information:S:10
loop=2330A
loop=2330B

[2330A]
segment=NM1:1:IL:Other Subscriber Name:R:1

[2330B]
segment=NM1:1:PR:Other Payer Name:R:1

[2400]
segment=LX:::Service Line Number:R:50
loop=2410
loop=2420A
loop=2420C
loop=2420E
loop=2430
loop=2440

[2410]
segment=LIN:::Drug Identification:S:1

[2420A]
segment=NM1:1:82:Rendering Provider Name:S:1

[2420C]
segment=NM1:1:77:Service Facility Location Name:S:1

[2420E]
segment=NM1:1:DK:Ordering Provider Name:S:1

[2430]
segment=SVD:::Line Adjudication Information:S:15

[2440]
segment=LQ:::Form Identification Code:S:>1

[835-1000A]
segment=N1:1:PR:Payer Identification:R:1

[835-1000B]
segment=N1:1:PE:Payee Identification:R:1

[835-2000]
segment=LX:::Header Number:S:>1
loop=835-2100

[835-2100]
segment=CLP:::Claim Payment Information:R:>1
loop=835-2110

[835-2110]
segment=SVC:::Service Payment Information:S:999

[SE]
segment=SE:::Transaction Set Trailer:R:1

[GE]
segment=GE:::Functional Group Trailer:R:1

[IEA]
segment=IEA:::Interchange Control Trailer:R:1
