from django.http import HttpRequest, HttpResponse


def _todo(request: HttpRequest, **kwargs: str) -> HttpResponse:
    raise NotImplementedError


catalog = course_detail = module_detail = concept_detail = lesson_detail = _todo
quiz_detail = recall_detail = reveal = answer = grade = _todo
