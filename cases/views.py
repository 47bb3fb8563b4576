def case_list(request):
    raise NotImplementedError


def my_cases(request):
    raise NotImplementedError


def case_detail(request, pk):
    raise NotImplementedError
