module gomemsim/layout

go 1.19
