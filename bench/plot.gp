# gnuplot -e "data='plot.tsv'; output='benchmarks.png'" bench/plot.gp
# Left: delivered messages per second (log scale); right: p99 latency.
set terminal pngcairo size 1200,520 font ",10"
set output output
set multiplot layout 1,2
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key below horizontal
# The first line of plot.tsv names the columns; it is not data.
set datafile columnheaders
set xrange [-0.6:*]
set grid ytics
set xtics rotate by -20
set title "delivered messages per second (median)"
set logscale y
set format y "%.0s%c"
plot data using 2:xtic(1) title "araldo" lc rgb "#1f77b4", \
     '' using 3 title "nginx+nchan" lc rgb "#d62728", \
     '' using 4 title "reference (epoll+writev)" lc rgb "#7f7f7f"
set title "p99 latency, µs (median of rounds)"
plot data using 5:xtic(1) title "araldo" lc rgb "#1f77b4", \
     '' using 6 title "nginx+nchan" lc rgb "#d62728", \
     '' using 7 title "reference (epoll+writev)" lc rgb "#7f7f7f"
unset multiplot
